"""The same scenario against upstream supervisord and minderd: what the
upstream supervisorctl prints (and exits with), and what XML-RPC faults
and result shapes xmlrpc.client sees, must match once pids, uptimes and
dates are normalised."""

from __future__ import annotations

import re
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import RunningDaemon, run_daemon, wait_for

PROGRAMS = """
[program:a]
command=/bin/sh -c 'echo hello from a; exec sleep 1000'
startsecs=0
stopwaitsecs=5

[program:b]
command=/bin/sleep 1000
autostart=false
startsecs=0

[program:missing]
command=/nonexistent/cmd
autostart=false

[group:grp]
programs=c,d

[program:c]
command=/bin/sleep 1000
startsecs=0

[program:d]
command=/bin/sleep 1000
startsecs=0
"""

# Each is one supervisorctl invocation; outputs are compared line-sorted
# except for status, whose order is part of the contract.
SCENARIO: list[tuple[str, ...]] = [
    ("status",),
    ("status", "a", "grp:*"),
    ("status", "nosuch", "zz:*"),
    ("start", "b"),
    ("start", "b"),
    ("start", "nosuch"),
    ("start", "nogroup:*"),
    ("start", "missing"),
    ("stop", "b"),
    ("stop", "b"),
    ("stop", "grp:*"),
    ("status",),
    ("start", "grp:*"),
    ("restart", "a"),
    ("pid", "b"),
    ("pid", "nosuch"),
    ("signal", "BOGUS", "a"),
    ("signal", "HUP", "b"),
    ("signal", "CONT", "grp:*"),
    ("tail", "a"),
    ("tail", "nosuch"),
    ("tail", "a", "bogus"),
    ("clear", "nosuch"),
    ("avail",),
    ("reread",),
    ("add", "a"),
    ("remove", "a"),
    ("version",),
    ("stop", "all"),
    ("status",),
]

BAD_CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("supervisor.getProcessInfo", ("nosuch",)),
    ("supervisor.getProcessInfo", ("grp:*",)),
    ("supervisor.getProcessInfo", ()),
    ("supervisor.startProcess", ("a", True, 1)),
    ("supervisor.stopProcess", ("b",)),
    ("supervisor.signalProcess", ("a", "NOPE")),
    ("supervisor.readProcessStdoutLog", ("a", -1, 1)),
    ("supervisor.readLog", (0, -1)),
    ("supervisor.addProcessGroup", ("a",)),
    ("supervisor.removeProcessGroup", ("nosuch",)),
    ("supervisor.sendProcessStdin", ("b", "x")),
    ("supervisor._update", ()),
    ("supervisor.supervisord.options.warnings.linecache.os.system", ("true",)),
    ("system.methodHelp", ("nosuch",)),
    ("nosuch.method", ()),
]


def normalise(text: str) -> str:
    text = re.sub(r"pid \d+", "pid N", text)
    text = re.sub(r"uptime (\d+ days?, )?\d+:\d\d:\d\d", "uptime T", text)
    text = re.sub(r"[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M", "DATE", text)
    return re.sub(r"^\d+$", "N", text, flags=re.M)


def run_scenario(daemon: RunningDaemon) -> list[tuple[tuple[str, ...], int, str]]:
    wait_for(
        lambda: "STARTING" not in daemon.ctl("status", client="supervisorctl").stdout
        and "RUNNING" in daemon.ctl("status", "a", client="supervisorctl").stdout,
        timeout=30,
        what=f"{daemon.kind} programs up",
    )
    seen = []
    for args in SCENARIO:
        result = daemon.ctl(*args, client="supervisorctl")
        out = normalise(result.stdout + result.stderr)
        if args[0] != "status":
            out = "\n".join(sorted(out.splitlines()))
        seen.append((args, result.returncode, out))
    return seen


def rpc_view(daemon: RunningDaemon) -> dict[str, Any]:
    view: dict[str, Any] = {}
    with daemon.rpc() as proxy:
        for name, params in BAD_CALLS:
            try:
                getattr(proxy, name)(*params)
                view[name + repr(params)] = "no fault"
            except xmlrpc.client.Fault as fault:
                view[name + repr(params)] = (fault.faultCode, fault.faultString)
        info = proxy.supervisor.getProcessInfo("a")
        view["info keys"] = sorted(info)
        view["config keys"] = sorted(proxy.supervisor.getAllConfigInfo()[0])
        # minderd adds minder.* methods; upstream clients only see supervisor.* and system.*
        listed = proxy.system.listMethods()
        view["minder methods"] = [m for m in listed if m.startswith("minder.")]
        view["listMethods"] = [m for m in listed if m.split(".")[0] in ("supervisor", "system")]
        view["signatures"] = [proxy.system.methodSignature(m) for m in view["listMethods"]]
        view["state"] = proxy.supervisor.getState()
        view["all names"] = [(i["group"], i["name"]) for i in proxy.supervisor.getAllProcessInfo()]
    return view


def observe(workdir: Path, kind: str) -> tuple[dict[str, Any], list[Any]]:
    with run_daemon(workdir, PROGRAMS, kind=kind) as daemon:
        return rpc_view(daemon), run_scenario(daemon)


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # The two daemons are independent: observe both at once (about 60 supervisorctl
    # runs, each a Python start-up, were the slowest set-up of the suite).
    kinds = ("supervisord", "minderd")
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        futures = {k: pool.submit(observe, tmp_path_factory.mktemp(k), k) for k in kinds}
        return {kind: future.result() for kind, future in futures.items()}


@pytest.mark.parametrize("step", range(len(SCENARIO)), ids=[" ".join(a) for a in SCENARIO])
def test_supervisorctl_prints_the_same(observed: dict[str, Any], step: int) -> None:
    upstream = observed["supervisord"][1][step]
    ours = observed["minderd"][1][step]
    assert ours == upstream


def test_rpc_faults_and_shapes_match(observed: dict[str, Any]) -> None:
    upstream, ours = dict(observed["supervisord"][0]), dict(observed["minderd"][0])
    assert upstream.pop("minder methods") == []
    assert ours.pop("minder methods") == [
        "minder.getAllProcessInfoJSON", "minder.getAllProcessVitals", "minder.getProcessVitals",
        "minder.rollingRestart", "minder.updateProcessGroup"]
    assert ours == upstream
