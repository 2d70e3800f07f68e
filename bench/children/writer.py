"""Write TOTAL bytes of 100-byte numbered lines to stdout as fast as possible.

The stream is deterministic (see bench/logstream.py) so the bench can
verify every byte that reached the log files. Lines are produced a block
(10,000 lines) at a time with one bytes.replace, so the writer is not the
bottleneck of the log-throughput figures.
"""

import os
import sys

LINE = 100
PER_BLOCK = 10_000
BLOCK = PER_BLOCK * LINE


def template() -> bytes:
    pad = b"x" * (LINE - 8 - 1 - 4 - 1 - 1)
    return b"".join(b"BBBBBBBB %04d %s\n" % (i, pad) for i in range(PER_BLOCK))


def main() -> None:
    total = int(sys.argv[1])
    tpl = template()
    fd = 1
    written = 0
    blk = 0
    while written < total:
        data = tpl.replace(b"BBBBBBBB", b"%08d" % blk)[: total - written]
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        written += len(data)
        blk += 1


main()
