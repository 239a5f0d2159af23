"""`manage.py bench`: the performance figures beside their baselines, a data-volume check and a
soak run, on a database of its own (see the command's help and docs/performance.md)."""
