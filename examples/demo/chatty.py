"""Demo: prints a line every second (the 'chatty' program)."""

import itertools
import sys
import time

for n in itertools.count(1):
    print(f"chatty line {n}", flush=True)
    if n % 5 == 0:
        print(f"chatty warning {n}", file=sys.stderr, flush=True)
    time.sleep(1)
