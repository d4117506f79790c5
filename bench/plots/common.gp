# Settings every vmmsim plot shares. `vmmsim plot` runs gnuplot as
#   gnuplot -e "set terminal ...; set output ...; datafile=...; ..." SCRIPT.gp
# and each script loads this file first. The data files (DIR/plots/*.dat)
# are whitespace-separated, one row per workload, with a quoted header row
# that names the series; NaN marks a value that does not exist (a failed
# run, no native baseline).
set datafile missing "NaN"
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.9 relative
set key outside right top vertical
set grid ytics
set xtics rotate by -35 nomirror
set ytics nomirror
set border 3
# Sixteen distinguishable fills (gnuplot's default cycle repeats after
# eight, which makes a stacked bar of many exit reasons ambiguous).
array fills[16] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", \
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#ffd700", "#00008b", \
	"#98df8a", "#ff9896", "#c5b0d5"]
do for [i=1:16] { set linetype i linecolor rgb fills[i] }
set linetype cycle 16
