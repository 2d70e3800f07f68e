"""One load client: call an XML-RPC method in a loop and print how many calls.

Run as ``python -m bench.load SOCK METHOD START_NS SECONDS [ARG...]`` by the
rpc scenario, several at once. Separate processes, not threads, so client
parsing is not serialised by one GIL; all start at the same CLOCK_MONOTONIC
instant (START_NS) and stop after SECONDS.
"""

from __future__ import annotations

import sys
import time

from bench import rpc


def main(argv: list[str]) -> int:
    sock, method, start_ns, seconds, *args = argv
    start = int(start_ns) / 1e9
    while time.monotonic() < start:
        time.sleep(0.001)
    end = start + float(seconds)
    calls = 0
    errors = 0
    while time.monotonic() < end:
        try:
            rpc.call(sock, method, *args, timeout=30)
            calls += 1
        except (OSError, rpc.RpcFault):
            errors += 1
    print(calls, errors, time.monotonic() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
