"""A bare Django project, the benchmarks' baseline: one view, one query of 24 rows."""
