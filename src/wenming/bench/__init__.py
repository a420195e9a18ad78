"""The project's own benchmarks (DESIGN.md §10): ``wenming bench <workload>``.

Each workload prints what it does and ends with one line ``RESULT <workload> name=value …``,
ratios to a baseline measured in the same run (these machines are noisy). See
docs/performance.md for what each one measures and the figures recorded so far.
"""
