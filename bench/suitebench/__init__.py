"""The suite benchmark's parts (bench/bench_suite.py): measuring runs, the runs themselves, the
phases on a simulated cluster, the table. Not installed; bench_suite.py puts bench/ on sys.path."""
