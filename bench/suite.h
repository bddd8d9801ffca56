/* The benchmark suite behind `aiodb bench` and bench/run: workloads W1-W5
 * run through aiodb and through the raw synchronous driver in the same
 * process and the same run, repeated, with the median ratio reported. */
#ifndef AIODB_BENCH_SUITE_H
#define AIODB_BENCH_SUITE_H

/* argv without the command name; returns the exit status. */
int aiodb_bench_main(int argc, char **argv);

#endif
