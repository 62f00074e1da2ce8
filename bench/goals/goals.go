// Package goals collects the figures the benchmarks judge against their goals, so that
// bench/report.sh (make bench) can put every verdict of a run in one markdown table ahead of
// the benchmarks' own tables. Each benchmark still prints its tables as before; outside
// make bench, Record writes nothing.
package goals

import (
	"fmt"
	"os"
	"strings"
)

// Env names the file the figures go to, one tab-separated line each: the benchmark, what
// is measured (with its goal, if it has one), the figure, and the verdict. bench/report.sh
// sets it.
const Env = "DUALNET_BENCH_GOALS"

// Verdict is a goal's verdict as every table prints it.
func Verdict(met bool) string {
	if met {
		return "met"
	}
	return "NOT met"
}

// NoGoal is the verdict of a figure reported beside the goals without one of its own.
const NoGoal = "no goal"

// Record appends one figure to the file $DUALNET_BENCH_GOALS names, if it names one.
// Failing to write says so on stderr and does not fail the benchmark: its own tables,
// printed anyway, hold the same figures.
func Record(bench, what, measured, verdict string) {
	path := os.Getenv(Env)
	if path == "" {
		return
	}
	line := strings.Join([]string{field(bench), field(what), field(measured), field(verdict)}, "\t") + "\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.WriteString(line)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s: the summary table of the report will miss %q: %v\n", bench, Env, what, err)
	}
}

// field keeps a value on its line and in its column.
func field(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(s) }
