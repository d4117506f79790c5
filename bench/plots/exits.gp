# Monitor exits by reason per workload (stacked bars) under one strategy.
# Exit counts do not depend on the cost model.
# Variables: datafile, ns (number of exit reasons shown), strategy.
load dir . "common.gp"
set style histogram rowstacked
set title sprintf("Monitor exits by reason under %s", strategy)
set xlabel "workload"
set ylabel "exits (count per run)"
set yrange [0:*]
set format y "%.1s%c"
plot for [i=2:ns+1] datafile using i:xtic(1) title columnheader(i)
