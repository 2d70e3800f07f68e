"""Stamp a start, stay up for argv[2] seconds, stamp an exit and crash (exit 1).

The gap between one exit stamp and the next start stamp is the respawn
latency of a process that had been up (not a crash loop).
"""

import os
import sys
import time

path = sys.argv[1]
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(fd, b"S %d\n" % time.monotonic_ns())
time.sleep(float(sys.argv[2]))
os.write(fd, b"E %d\n" % time.monotonic_ns())
os.close(fd)
os._exit(1)
