"""Checks of the package itself: the regression comparison and its tolerances (regression.py), the spread
that sets them (spread.py), the front-page gallery (gallery.py) and the benchmarks (bench.py,
bench_pipeline.py; `make bench`)."""
