"""Micro-benchmark: ChildLog.write throughput for 64 KiB chunks of 100-byte lines.

Usage: python bench/logs_write.py [--mib 512] [--maxbytes 0|50MB-in-bytes]

Prints MiB/s for ChildLog (one os.write per chunk) and, for comparison, for
a plain Python binary file object with flush per chunk (what a buffered
logging handler costs). Writes go to a fresh temporary directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from minder.engine.logs.childlog import ChildLog

LINE = (b"x" * 99) + b"\n"
CHUNK = LINE * (64 * 1024 // len(LINE))


def bench_childlog(directory: str, total: int, maxbytes: int) -> float:
    path = os.path.join(directory, "childlog.log")
    log = ChildLog(path, maxbytes, 2, None, lambda message: print("error:", message))
    chunks = total // len(CHUNK)
    start = time.perf_counter()
    for _ in range(chunks):
        log.write(CHUNK)
    elapsed = time.perf_counter() - start
    log.close()
    os.unlink(path)
    return chunks * len(CHUNK) / elapsed / (1024 * 1024)


def bench_file_object(directory: str, total: int) -> float:
    path = os.path.join(directory, "fileobj.log")
    chunks = total // len(CHUNK)
    with open(path, "ab") as handle:
        start = time.perf_counter()
        for _ in range(chunks):
            handle.write(CHUNK)
            handle.flush()
        elapsed = time.perf_counter() - start
    os.unlink(path)
    return chunks * len(CHUNK) / elapsed / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512, help="MiB written per run")
    parser.add_argument("--maxbytes", type=int, default=0, help="rotation size (0: never)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    total = args.mib * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as directory:
        ours = [bench_childlog(directory, total, args.maxbytes) for _ in range(args.runs)]
        plain = [bench_file_object(directory, total) for _ in range(args.runs)]
    print(f"chunk {len(CHUNK)} bytes of {len(LINE)}-byte lines, {args.mib} MiB per run")
    print(f"ChildLog.write            median {statistics.median(ours):8.0f} MiB/s")
    print(f"file object write+flush   median {statistics.median(plain):8.0f} MiB/s")


if __name__ == "__main__":
    main()
