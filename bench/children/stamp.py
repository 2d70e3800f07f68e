"""Append a start stamp, then an exit stamp, to a file and exit at once.

CLOCK_MONOTONIC is system-wide on Linux, so stamps written by successive
children (and read by the bench) are comparable. Each line is one small
O_APPEND write, which the kernel keeps whole.
"""

import os
import sys
import time

path = sys.argv[1]
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(fd, b"S %d\n" % time.monotonic_ns())
os.write(fd, b"E %d\n" % time.monotonic_ns())
os.close(fd)
os._exit(0)
