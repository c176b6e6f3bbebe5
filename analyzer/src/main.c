// SPDX-License-Identifier: GPL-2.0
/* nt-analyze: turns recorded stamps into the papers' tables and figures.
 *   nt-analyze run DIR          a run folder (docs/run-layout.md)
 *   nt-analyze stats FILE...    statistics of one measure over some files
 *   nt-analyze compare ...      variants against a baseline
 *   nt-analyze convert IN OUT   CSV <-> binary record files
 * Options, messages, signals and exit codes are the program skeleton's
 * (nt/prog.h); each command has its own option table (cmd_*.c). */
#include <string.h>
#include <unistd.h>

#include "analyze.h"

/* The top level: help, version, the command. */
static int top_args(struct nt_prog *p, int argc, char **argv)
{
	if (argc < 1)
		nt_usage(p, "missing command (run, stats, compare, convert)");
	nt_usage(p, "unknown command '%s'", argv[0]);
}

int main(int argc, char **argv)
{
	struct nt_prog top = {
		.name = PROG, .synopsis = "run [options] DIR\n"
					  "       " PROG " stats [options] (--latency FROM:TO | --period EVENT)... FILE...\n"
					  "       " PROG " compare [options] DIR | VARIANT_DIR... | FILE...\n"
					  "       " PROG " convert [options] IN OUT",
		.about = "Statistics of interrupt latencies recorded in the project's record format\n"
			 "(docs/record-format.md; CSV or binary).  Every figure is in TSC cycles and,\n"
			 "when the TSC frequency is known (meta files or --tsc-hz), in microseconds.\n"
			 "  run DIR      analyse a run folder (docs/run-layout.md): each variant's measures,\n"
			 "               DIR/summary.csv, DIR/summary.json, DIR/report.md, DIR/plots/\n"
			 "  stats        statistics of measures over the given files (one population)\n"
			 "  compare      improvement of each variant over a baseline, with bootstrap CIs\n"
			 "  convert      a record file from CSV to binary or back, every field kept",
		.notes = "Run `" PROG " COMMAND --help` for the options of a command.",
		.args = top_args,
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	g_threads = ncpu > 1 ? (int)(ncpu < 1024 ? ncpu : 1024) : 1;
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "stats") == 0)
		return cmd_stats(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "compare") == 0)
		return cmd_compare(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "convert") == 0)
		return cmd_convert(argc - 1, argv + 1);
	nt_prog_parse(&top, argc, argv);
	return NT_EXIT_USAGE;
}
