"""Keep bench/ from rotting: one tiny scenario against both daemons.

No timing is asserted (the machine is shared and noisy); we check that the
harness runs, every figure gets a value for both daemons, the log checker
really detects damage, and nothing is left running afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from bench import confgen, daemons, floors, logstream, procfs, rpc, runner
from bench.linetail import LineTail
from bench.scenarios import plan
from bench.scenarios.base import wait_all
from bench.sizes import QUICK, tiny

N = 5


def _minderd_problem() -> str | None:
    """Why minderd cannot serve a one-program config, or None if it can."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-probe-"))
    conf = confgen.write(workdir, confgen.sleepers(1, startsecs=0), programs=1)
    try:
        with daemons.running("minderd", conf, ready_timeout=10, grace=5):
            return None
    except Exception as exc:
        return f"minderd cannot start and serve XML-RPC on its unix socket: {exc}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the probe's config, socket and logs


def _need_child() -> None:
    """Skip unless the bench's compiled child program can be built here."""
    from bench.peers import install

    try:
        install.child()
    except install.Missing as exc:
        pytest.skip(str(exc))


def _leftovers() -> dict[int, int]:
    deadline = time.monotonic() + 5
    while (left := procfs.descendants(os.getpid())) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_line_tail_returns_each_complete_line_once(tmp_path: Path) -> None:
    log = tmp_path / "grows.log"
    tail = LineTail(log)
    assert tail.read_lines() == []  # not there yet
    log.write_bytes(b"one\ntw")
    assert tail.read_lines() == [b"one"]
    assert tail.read_lines() == []  # "tw" is still being written
    with open(log, "ab") as f:
        f.write(b"o\nthree\n")
    assert tail.read_lines() == [b"two", b"three"]
    assert tail.offset == log.stat().st_size


def test_stream_checker_detects_damage(tmp_path: Path) -> None:
    total = 3 * logstream.BLOCK + 500
    log = tmp_path / "w.log"
    with open(log, "wb") as f:
        for chunk in logstream.chunks(0, total):
            f.write(chunk)
    assert logstream.lost_bytes(log, total, rotated=False) == 0
    data = bytearray(log.read_bytes())
    data[12345] ^= 1
    log.write_bytes(bytes(data))
    assert logstream.lost_bytes(log, total, rotated=False) > 0
    log.write_bytes(bytes(data[:-100]))
    assert logstream.lost_bytes(log, total, rotated=False) > 0
    # Rotation: the kept files, oldest first, must be the stream's tail.
    tail = b"".join(logstream.chunks(total - 250_100, total))
    (tmp_path / "w.log.1").write_bytes(tail[:200_000])
    log.write_bytes(tail[200_000:])
    assert logstream.lost_bytes(log, total, rotated=True) == 0
    assert logstream.lost_bytes(log, total, rotated=False) == total - len(tail)


def _runs_against_both_daemons(group: str) -> None:
    problem = _minderd_problem()
    if problem:
        pytest.skip(problem)
    scenario = next(s for s in plan(tiny(QUICK, N)) if s.group == group)
    results = runner.run_all(
        [scenario], ["minderd", "supervisord"], reps=1, use_alarm=False, log=lambda _: None
    )
    for kind, outcome in results[scenario.name].items():
        assert not outcome.errors, f"{kind}: {outcome.errors}"
        for fig in scenario.figures:
            assert len(outcome.values.get(fig.key, [])) == 1, f"{kind} has no {fig.key}"
            assert outcome.values[fig.key][0] > 0, f"{kind}: {fig.key} is not positive"
    assert not _leftovers(), "the bench left processes running"


def test_spawn_scenario_runs_against_both_daemons() -> None:
    _runs_against_both_daemons("spawn")


def test_rpc_scenario_runs_against_both_daemons() -> None:
    _runs_against_both_daemons("rpc")


def test_stopall_scenario_runs_against_both_daemons() -> None:
    _runs_against_both_daemons("stopall")


def test_ctl_scenario_runs_against_both_daemons_with_its_floor() -> None:
    _runs_against_both_daemons("ctl")


def test_stop_floors_reap_every_child() -> None:
    assert floors.stop_bare_ms(N) > 0
    assert floors.stop_watched_ms(N) > 0
    assert not _leftovers(), "a stop floor left processes running"


def test_spawn_floor_holding_descriptors_gives_them_back() -> None:
    before = len(os.listdir("/proc/self/fd"))
    assert floors.spawn_rate_holding_fds(N) > 0
    assert len(os.listdir("/proc/self/fd")) == before


def test_light_rpc_client_refuses_faults_and_bad_shapes(tmp_path: Path) -> None:
    """A fault, an HTTP error or a wrong result can never count as a success."""
    problem = _minderd_problem()
    if problem:
        pytest.skip(problem)
    conf = confgen.write(tmp_path, confgen.sleepers(2, startsecs=0), programs=2)
    buf = rpc.Buffer(16)  # tiny, so that reading has to grow it
    with daemons.running("minderd", conf, grace=5) as d:
        wait_all(d, 2, "RUNNING", time.monotonic() + 20)
        ok = rpc.prepare("supervisor.getProcessInfo", "p00001")
        _, body = rpc.exchange(d.sock, ok, buf)
        rpc.check_reply(body)
        info = rpc.decode("supervisor.getProcessInfo", bytes(body))
        again = d.call("supervisor.getProcessInfo", "p00001")
        assert isinstance(again, dict)
        assert {k: again[k] for k in ("name", "pid", "start", "statename")} == {
            k: info[k] for k in ("name", "pid", "start", "statename")
        }
        size = len(body)
        rpc.check_reply(body, size)
        with pytest.raises(rpc.RpcFault, match="expected about"):
            rpc.check_reply(body, 2 * size)
        _, body = rpc.exchange(d.sock, rpc.prepare("supervisor.getProcessInfo", "nosuch"), buf)
        with pytest.raises(rpc.RpcFault, match="fault"):
            rpc.check_reply(body)
        with pytest.raises(rpc.RpcFault, match="BAD_NAME"):
            rpc.decode("supervisor.getProcessInfo", bytes(body))
        bad_request = ok.replace(b"POST /RPC2", b"POST /nowhere")
        with pytest.raises(rpc.RpcFault, match="status"):
            rpc.exchange(d.sock, bad_request, buf)
        infos = rpc.decode(
            "supervisor.getAllProcessInfo",
            bytes(rpc.exchange(d.sock, rpc.prepare("supervisor.getAllProcessInfo"), buf)[1]),
        )
        rpc.check_result("supervisor.getAllProcessInfo", infos, 2)
        with pytest.raises(rpc.RpcFault, match="expected 3"):
            rpc.check_result("supervisor.getAllProcessInfo", infos, 3)
        with pytest.raises(rpc.RpcFault, match="expected the struct"):
            rpc.check_result("supervisor.getProcessInfo", infos[0], 2, "p00001")


def test_probes_scenario_probes_every_program() -> None:
    problem = _minderd_problem()
    if problem:
        pytest.skip(problem)
    scenario = next(s for s in plan(tiny(QUICK, N)) if s.group == "probes")
    results = runner.run_all([scenario], ["minderd"], reps=1, use_alarm=False, log=lambda _: None)
    outcome = results[scenario.name]["minderd"]
    assert not outcome.errors, outcome.errors
    # N programs probed every second: about N probes per second reach the listener
    assert outcome.values["probes_per_s"][0] >= N / 2
    assert not _leftovers(), "the bench left processes running"


def test_ctl_cross_runs_both_clients_against_supervisord(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """minderctl's fallback for supervisord (no getAllProcessInfoJSON) and supervisorctl."""
    from bench import ctl_cross

    assert ctl_cross.main(["--programs", "3", "--reps", "1", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["minderctl", "supervisorctl"]
    assert all(line.endswith("3 RUNNING lines") for line in lines), lines
    assert not _leftovers(), "the bench left processes running"


def _one_alternated_run(
    main: Callable[[list[str]], int], n: int, prefix: str, capsys: pytest.CaptureFixture[str]
) -> tuple[dict[str, float], str]:
    """One run of an A/B tool (bench/alternate.py) on this checkout: its figures
    and its median line, after checking it removed every workdir it made."""
    where = Path(tempfile.mkdtemp(prefix=prefix))  # short: the socket path has a limit
    try:
        assert main(["--n", str(n), "--reps", "1", "--where", str(where)]) == 0
        assert not list(where.iterdir()), "the workdirs were not removed"
    finally:
        shutil.rmtree(where, ignore_errors=True)
    run, summary = capsys.readouterr().out.splitlines()
    items = (item.split("=") for item in run.split(None, 1)[1].split(", "))
    return {key: float(value) for key, value in items}, summary


def test_startup_phases_reads_the_daemons_first_and_last_spawn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bench.startup_phases: every figure for each run, nothing left running or on disk."""
    from bench import startup_phases

    _need_child()
    values, summary = _one_alternated_run(startup_phases.main, 3, "sp-", capsys)
    assert set(values) == set(startup_phases.FIGURES)
    assert 0 < values["first_s"] <= values["all_s"]
    assert 0 < values["cpu_first_ms"] <= values["cpu_all_ms"]
    assert values["spawn_s"] <= values["all_s"]
    assert values["spawn_cpu_ms"] <= values["cpu_all_ms"]
    assert summary.startswith("current    median ")
    assert not _leftovers(), "the bench left processes running"


@pytest.mark.parametrize("keep", [False, True])
def test_runner_keeps_run_dirs_until_the_end_only_when_asked(keep: bool) -> None:
    """A keep_until_end scenario's reps find the earlier reps' dirs still there, and
    nothing is left once the bench ends; any other scenario's dir goes right after its run."""
    from bench.scenarios.base import Scenario

    seen: list[Path] = []
    still_there: list[bool] = []

    def run(kind: str, workdir: Path) -> dict[str, float]:
        (workdir / "auto.log").write_bytes(b"x")
        still_there.append(all(earlier.exists() for earlier in seen))
        seen.append(workdir)
        return {"files": 1.0}

    scenario = Scenario(
        name="dirs", group="dirs", run=run, figures=(), timeout=30, keep_until_end=keep
    )
    results = runner.run_all([scenario], ["a", "b"], reps=2, use_alarm=False, log=lambda _: None)
    assert [len(results["dirs"][k].values["files"]) for k in ("a", "b")] == [2, 2]
    assert still_there == [True, keep, keep, keep]
    assert not any(workdir.exists() for workdir in seen)


def test_stopall_phases_splits_a_real_stop_all(capsys: pytest.CaptureFixture[str]) -> None:
    """bench.stopall_phases: every figure for each run, parts that fit inside the
    whole, and nothing left running or on disk."""
    from bench import stopall_phases

    values, summary = _one_alternated_run(stopall_phases.main, 4, "sa-", capsys)
    assert set(values) == set(stopall_phases.FIGURES)
    assert 0 < values["requests_ms"] <= values["daemon_ms"]
    assert 0 < values["exits_ms"] <= values["daemon_ms"]
    assert values["cpu_requests_ms"] > 0 and values["cpu_exits_ms"] > 0
    assert values["decode_ms"] > 0 and values["answer_ms"] > 0
    assert summary.startswith("current    median ")
    assert not _leftovers(), "the bench left processes running"


def _run_in_a_fresh_where(main: Callable[[list[str]], int], argv: list[str]) -> None:
    """Run a bench tool that starts minderd with ``--where`` a fresh short directory
    (minderd's socket lives under it), which must be empty once it returns."""
    _need_child()
    problem = _minderd_problem()
    if problem:
        pytest.skip(problem)
    where = Path(tempfile.mkdtemp(prefix="sf-"))
    try:
        assert main([*argv, "--where", str(where)]) == 0
        assert list(where.iterdir()) == []
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_start_floor_times_every_kind_and_leaves_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bench.start_floor: each kind's N children start, are stamped, killed and reaped."""
    from bench import start_floor

    _run_in_a_fresh_where(start_floor.main, ["--n", str(N), "--reps", "1"])
    out = capsys.readouterr().out.splitlines()
    run = dict(item.split("=") for item in out[0].split())
    assert set(run) == set(start_floor.KINDS)
    assert all(float(value) > 0 for value in run.values())
    assert out[1].startswith("median ") and out[2].startswith("ratios to fork_exec ")
    assert out[4].startswith("each child in a leaf cgroup (")
    assert out[5].startswith("targets: minderd_off ") and "placement's floor" in out[5]
    assert not _leftovers(), "the floor left processes running"
    assert _bench_cgroups() == [], "the contained kinds left their leaves"


def test_start_ab_alternates_trees_with_and_without_containment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bench.start_ab: each tree's N children start (twice with --off) and nothing is left."""
    from bench import start_ab

    src = str(Path(__file__).resolve().parents[2] / "src")
    _run_in_a_fresh_where(
        start_ab.main, ["--n", str(N), "--reps", "1", "--off", "current=", f"tree={src}"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["current", "tree", "current", "tree"]
    assert [line.split()[1] for line in lines[2:]] == ["median", "median"]
    for line in lines:
        shown = line.split(None, 1)[1].removeprefix("median ")
        values = dict(item.split("=") for item in shown.split(", "))
        assert set(values) == {"start_s", "start_off_s"}
        assert all(float(value) > 0 for value in values.values())
    assert not _leftovers(), "the A/B left processes running"


def _bench_cgroups() -> list[str]:
    """The bench's leaf parents still in this process's cgroup (none once a run is over)."""
    from bench import contained

    parent = contained.leaf_parent("x")
    if not parent:
        return []
    return sorted(e.name for e in os.scandir(os.path.dirname(parent))
                  if e.name.startswith("bench-floor-"))


def test_contained_kinds_place_every_child_in_its_own_leaf(tmp_path: Path) -> None:
    """The *_contained floors do the work they claim: each child is born in a leaf of its own."""
    from bench import contained

    subtree = contained.leaf_parent(str(tmp_path))
    if not subtree:
        pytest.skip("no writable cgroup v2 here: the contained kinds do no cgroup work")
    work = contained.born_in_leaf_class()(subtree)
    kids = []
    try:
        for i in range(3):
            work.enter(i)
            try:
                kids.append(os.posix_spawn("/bin/sleep", ["sleep", "60"], os.environ))
            finally:
                work.leave()
        for i, pid in enumerate(kids):
            assert Path(f"{subtree}/p{i}/cgroup.procs").read_text().split() == [str(pid)]
        own = Path(f"/proc/{os.getpid()}/cgroup").read_text()
        assert "bench-floor-" not in own, "the bench stayed in a leaf"
    finally:
        contained.remove_leaves(subtree)
        for pid in kids:
            os.waitpid(pid, 0)
    assert not os.path.exists(subtree)
    assert not _leftovers()


def test_cgroup_spawn_times_every_mode_and_leaves_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bench.cgroup_spawn: each mode's children start, are killed and reaped, leaves removed."""
    from bench import cgroup_spawn, contained
    from bench.peers import install

    if not contained.leaf_parent("x"):
        pytest.skip("no writable cgroup v2 here (bench.cgroup_spawn needs one)")
    try:
        install.compiled(cgroup_spawn.SOURCE)
    except install.Missing as exc:
        pytest.skip(str(exc))
    assert cgroup_spawn.main(["--n", str(N), "--reps", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    run = dict(item.split("=") for item in out[0].split())
    assert set(run) == set(cgroup_spawn.MODES)
    assert all(float(value) > 0 for value in run.values())
    assert out[1].startswith("median us per child ")
    assert not _leftovers(), "cgroup_spawn left processes running"
    assert _bench_cgroups() == [], "cgroup_spawn left its leaves"
