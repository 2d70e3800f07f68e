"""One load client: call an XML-RPC method in a loop and print how many calls.

Run as ``python -m bench.load SOCK METHOD START_NS SECONDS REF_SIZE N [ARG...]``
by the rpc scenario, several at once. Separate processes, not threads, so
the clients are not serialised by one GIL; all start at the same
CLOCK_MONOTONIC instant (START_NS), start no call after SECONDS, and print
``calls errors elapsed`` (elapsed: start to the last reply's last byte).

Each call is ``rpc.exchange``: a new connection, pre-built request bytes,
read to the last byte of the body, so the client's own cost per call is
small and the same for both daemons (the clients share the machine's two
cores with the daemon). Every reply gets the cheap checks (status 200,
complete, a result and not a fault, about REF_SIZE bytes); every 10th, up to
20, is kept and fully decoded and checked (N process-info structs, all
RUNNING) after the window, so no decoding competes with the daemon during
it and an error reply still cannot pass as a fast success.
"""

from __future__ import annotations

import sys
import time

from bench import rpc

SAMPLE_EVERY = 10
MAX_SAMPLES = 20


def main(argv: list[str]) -> int:
    sock, method, start_ns, seconds, ref_size, n, *args = argv
    request = rpc.prepare(method, *args)
    buf = rpc.Buffer()
    start = int(start_ns) / 1e9
    while time.monotonic() < start:
        time.sleep(0.001)
    end = start + float(seconds)
    calls = errors = 0
    last = start
    samples: list[bytes] = []
    while time.monotonic() < end:
        try:
            _, body = rpc.exchange(sock, request, buf, timeout=30)
            rpc.check_reply(body, int(ref_size))
        except (OSError, rpc.RpcFault) as exc:
            errors += 1
            if errors == 1:
                print(f"first error: {exc}", file=sys.stderr)
            continue
        last = time.monotonic()
        calls += 1
        if calls % SAMPLE_EVERY == 1 and len(samples) < MAX_SAMPLES:
            samples.append(bytes(body))
    for data in samples:
        try:
            rpc.check_result(method, rpc.decode(method, data), int(n), *args)
        except rpc.RpcFault as exc:
            errors += 1
            print(f"bad sampled reply: {exc}", file=sys.stderr)
    print(calls, errors, last - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
