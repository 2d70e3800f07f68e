"""Side-by-side benchmark of minderd and upstream supervisord 4.3.

Both daemons are run on the same supervisord-format config, alternately
(A B, B A, ...) in one run, so slow drift on a shared machine hits both
equally. ``python -m bench --help`` lists the options; docs/performance.md
explains each figure.
"""
