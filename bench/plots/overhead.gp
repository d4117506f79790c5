# Modeled overhead per workload per strategy (grouped bars): a run's
# modeled cycles over the native run's for the same workload and cost
# model, so native is 1 (the dashed line).
# Variables: datafile, ns (number of strategies), logy (0/1), model.
load dir . "common.gp"
set style histogram clustered gap 1
set title sprintf("Modeled overhead against native execution (cost model %s)", model)
set xlabel "workload"
set ylabel "overhead (modeled cycles / native modeled cycles, x)"
if (logy) { set logscale y 10; set yrange [*:*] } else { set yrange [0:*] }
plot for [i=2:ns+1] datafile using i:xtic(1) title columnheader(i), \
	1 with lines dashtype 2 linecolor rgb "black" title "native = 1"
