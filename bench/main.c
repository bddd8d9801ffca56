/* aiodb-bench: the benchmark suite (bench/suite.c) as a program of its own;
 * `aiodb bench` runs the same code. `aiodb-bench --help` lists the options. */
#include "suite.h"

int main(int argc, char **argv) { return aiodb_bench_main(argc - 1, argv + 1); }
