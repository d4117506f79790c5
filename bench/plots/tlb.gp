# TLB misses (instruction + data TLB) and page-walk memory references per
# workload per strategy (grouped bars, two panels). Counts do not depend on
# the cost model.
# Variables: missfile, walkfile, ns (number of strategies), logy1, logy2.
load dir . "common.gp"
set style histogram clustered gap 1
set multiplot layout 2,1 title "Modeled TLB and page walks"
set title "TLB misses (ITLB + DTLB)"
set xlabel "workload"
set ylabel "misses (count per run)"
if (logy1) { set logscale y 10 } else { set yrange [0:*] }
plot for [i=2:ns+1] missfile using i:xtic(1) title columnheader(i)
unset logscale y
set title "Page-walk memory references"
set ylabel "references (count per run)"
if (logy2) { set logscale y 10; set yrange [*:*] } else { set yrange [0:*] }
plot for [i=2:ns+1] walkfile using i:xtic(1) title columnheader(i)
unset multiplot
