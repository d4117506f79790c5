# Host simulation speed: guest instructions per host second, per workload
# per strategy (grouped bars; with --repeat the bar is the median and the
# error bar spans min to max). A host figure, not a modeled one.
# Variables: datafile (3 columns per strategy: median, min, max), ns, logy.
load dir . "common.gp"
set style histogram errorbars gap 1 linewidth 1
set title "Host speed of the simulator"
set xlabel "workload"
set ylabel "guest MIPS (million guest instructions per host second)"
if (logy) { set logscale y 10 } else { set yrange [0:*] }
plot for [i=0:ns-1] datafile using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
	title columnheader(2+3*i)
