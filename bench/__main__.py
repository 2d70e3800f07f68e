"""Entry point for ``python -m bench`` (and ``make bench``)."""

from bench.cli import main

raise SystemExit(main())
