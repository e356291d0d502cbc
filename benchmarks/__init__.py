"""The benchmark scripts (run by hand; see RESULTS.md). A regular package, so that a dependency that ships
a top-level `benchmarks` package of its own (pysbd does) cannot shadow this one."""
