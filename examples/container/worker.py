"""A background worker for the container example: prints a heartbeat."""

import time

n = 0
while True:
    n += 1
    print(f"heartbeat {n}", flush=True)
    time.sleep(5)
