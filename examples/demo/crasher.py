"""Demo: runs for a few seconds then crashes, so minderd restarts it."""

import sys
import time

print("crasher up; will crash in 4 seconds", flush=True)
time.sleep(4)
print("crasher: crashing now", file=sys.stderr, flush=True)
sys.exit(3)
