"""Demo: one of several identical workers (numprocs)."""

import os
import time

name = os.environ.get("SUPERVISOR_PROCESS_NAME", "worker")
while True:
    print(f"{name} (pid {os.getpid()}) working", flush=True)
    time.sleep(10)
