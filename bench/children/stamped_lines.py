"""A child for ``bench.line_latency``: 100-byte lines that carry their own time.

``stamped_lines.py busy SECONDS``: one ``write(2)`` per line, as fast as it
can, for SECONDS; ``paced``: the same with a 1 ms sleep after every 20
lines (about 2 MB/s, so a few writers leave the machine idle time);
``quiet``: one line every 10 ms.
Each line starts with the writer's CLOCK_MONOTONIC in ns just before its
``write(2)``, so the reader of the log can tell how long the line took to
arrive there.
"""

from __future__ import annotations

import os
import sys
import time

PAD = b"x" * 78  # 20 digits + space + 78 + newline = 100 bytes


def main() -> None:
    mode, seconds = sys.argv[1], float(sys.argv[2])
    end = time.monotonic_ns() + int(seconds * 1e9)
    pause = {"quiet": 0.01, "paced": 0.001}.get(mode, 0.0)
    every = 1 if mode == "quiet" else 20
    n = 0
    while True:
        now = time.monotonic_ns()
        if now > end:
            break
        os.write(1, b"%020d %s\n" % (now, PAD))
        n += 1
        if pause and n % every == 0:
            time.sleep(pause)


if __name__ == "__main__":
    main()
