"""Log files: the daemon's activity log, child output logs, reading and following them.

See docs/architecture.md for what the engine package owns. Modules:
``mainlog`` (activity log), ``childlog`` (raw child output), ``rotatingfile``
(the shared append-only sink with rotation and a retry buffer), ``autonames``
(AUTO log paths and their cleanup), ``reader`` (readLog/tail offset rules),
``follow`` (/logtail), ``ansi`` (strip_ansi), ``levels`` (level names).
"""
