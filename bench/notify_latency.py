"""``python -m bench.notify_latency``: from READY=1 to the dependent's spawn.

A program sends READY=1 on $NOTIFY_SOCKET (recording the wall clock just
before ``sendto``); a second program ``depends_on`` it. The figure is the
time from that send to the engine's ``spawned`` of the dependent (its
STARTING event), over ``--runs`` runs on a real engine and real children.
Prints the median and the worst, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

from minder.engine.supervisor import Supervisor
from minder.model.events import DomainEvent, ProcessStateChanged
from minder.model.specs import (
    DaemonSpec,
    GroupKind,
    GroupSpec,
    HealthSpec,
    LogSpec,
    ProbeSpec,
    ProcessSpec,
    RootSpec,
)
from minder.protocol.states import ProcessState

NOTIFIER = """\
import os, socket, sys, time
time.sleep(0.3)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
stamp = time.time()
s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
open(sys.argv[1], "w").write(repr(stamp))
time.sleep(600)
"""


class _Quiet:
    def __getattr__(self, name: str) -> object:
        return lambda msg: None


async def one_run(workdir: Path) -> float:
    script = workdir / "notifier.py"
    script.write_text(textwrap.dedent(NOTIFIER))
    stamp = workdir / "sent"
    none = LogSpec(path=None, auto=False)
    db = ProcessSpec(name="db", program_name="db", command=f"{sys.executable} {script} {stamp}",
                     startsecs=0, stdout=none, stderr=none,
                     health=HealthSpec(ready=ProbeSpec("notify")))
    web = ProcessSpec(name="web", program_name="web", command="/bin/sleep 600", startsecs=0,
                      stdout=none, stderr=none, depends_on=("db",))
    root = RootSpec("bench.conf", DaemonSpec(childlogdir=str(workdir)), groups=(
        GroupSpec("db", GroupKind.PROGRAM, processes=(db,)),
        GroupSpec("web", GroupKind.PROGRAM, processes=(web,)),
    ))
    sup = Supervisor(root, log=_Quiet())  # type: ignore[arg-type]
    started: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def watch(event: DomainEvent) -> None:
        if (isinstance(event, ProcessStateChanged) and event.name == "web"
                and event.to_state is ProcessState.STARTING and not started.done()):
            started.set_result(event.when)

    sup.bus.add_listener(watch)
    await sup.start()
    try:
        when = await asyncio.wait_for(started, 30)
        for _ in range(1000):  # the notifier writes its stamp just after sendto
            if stamp.exists() and stamp.read_text():
                break
            await asyncio.sleep(0.005)
        sent = float(stamp.read_text())
    finally:
        sup.request_shutdown()
        await asyncio.wait_for(sup.wait_finished(), 30)
        await sup.close()
    return (when - sent) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.notify_latency")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args(argv)
    delays = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
            delays.append(asyncio.run(one_run(Path(tmp))))
    print(f"READY=1 -> dependent spawned: median {statistics.median(delays):.2f} ms, "
          f"max {max(delays):.2f} ms over {len(delays)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
