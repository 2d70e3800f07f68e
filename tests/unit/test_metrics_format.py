"""/metrics text rendering from canned engine facts: no daemon, no psutil reads.

Checks the 0.0.4 format rules a Prometheus parser relies on (HELP/TYPE once
per family, label escaping, number spellings) and that each process shows
up with the values the engine reported.
"""

from __future__ import annotations

import asyncio
import re

from minder import SUPERVISOR_COMPAT_VERSION, __version__
from minder.engine import usage as engine_usage
from minder.engine.api import ProcessSnapshot, Usage
from minder.http.metrics import (
    DaemonFacts,
    Family,
    escape_label_value,
    families,
    format_value,
    label_text,
    render,
)
from minder.model.specs import ProcessSpec
from minder.protocol.states import ProcessState, SupervisorState

NOW = 1_800_000_000.0
# name{labels} value — labels may hold escaped quotes, so match them strictly
SAMPLE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$'
)


def snap(
    group: str,
    name: str,
    state: ProcessState,
    pid: int = 0,
    start: float = 0.0,
    exitstatus: int = 0,
) -> ProcessSnapshot:
    spec = ProcessSpec(name=name, program_name=group, command="/bin/true")
    return ProcessSnapshot(
        group=group,
        name=name,
        state=state,
        pid=pid,
        start=start,
        stop=0.0,
        now=NOW,
        exitstatus=exitstatus,
        spawnerr="",
        stdout_logfile="",
        stderr_logfile="",
        spec=spec,
        group_priority=999,
    )


def daemon(identifier: str = "testsuper", usage: Usage | None = None) -> DaemonFacts:
    return DaemonFacts(SupervisorState.RUNNING, identifier, 4242, usage)


def lines_of(text: str) -> list[str]:
    assert text.endswith("\n")
    return text.splitlines()


def samples(text: str) -> dict[str, str]:
    """'name{labels}' -> value, for every sample line (all must parse)."""
    out: dict[str, str] = {}
    for line in lines_of(text):
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a valid sample line: {line!r}"
        out[m.group(1) + (m.group(2) or "")] = m.group(3)
    return out


def test_label_values_are_escaped() -> None:
    assert escape_label_value('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert label_text([("group", 'we"ird'), ("name", "x\\y")]) == '{group="we\\"ird",name="x\\\\y"}'
    assert label_text([]) == ""


def test_numbers_are_spelled_as_prometheus_reads_them() -> None:
    assert format_value(0) == "0"
    assert format_value(-1) == "-1"
    assert format_value(2**40) == "1099511627776"
    assert format_value(1.5) == "1.5"
    assert format_value(1_800_000_000.0) == "1800000000"
    assert format_value(1_800_000_000.25) == "1800000000.25"
    assert format_value(float("nan")) == "NaN"
    assert format_value(float("inf")) == "+Inf"
    assert format_value(float("-inf")) == "-Inf"


def test_render_writes_help_and_type_once_and_skips_empty_families() -> None:
    a = Family("minder_a", "gauge", "First line\nsecond \\ line.")
    a.add(1, '{x="1"}')
    a.add(2, '{x="2"}')
    empty = Family("minder_empty", "counter", "Never sampled.")
    assert render([a, empty]) == (
        "# HELP minder_a First line\\nsecond \\\\ line.\n"
        "# TYPE minder_a gauge\n"
        'minder_a{x="1"} 1\n'
        'minder_a{x="2"} 2\n'
    )
    assert render([empty]) == ""


def test_daemon_and_process_lines_from_canned_data() -> None:
    web_usage = Usage(cpu_seconds=1.25, rss_bytes=10_485_760, open_fds=7, start_time=NOW)
    processes = [
        snap("web", "web", ProcessState.RUNNING, pid=1234, start=NOW - 10),
        snap("jobs", "jobs_00", ProcessState.EXITED, start=NOW - 20, exitstatus=3),
        snap("jobs", "jobs_01", ProcessState.STOPPED),
    ]
    own = Usage(cpu_seconds=0.5, rss_bytes=30_000_000, open_fds=12, start_time=NOW - 100)
    text = render(
        families(daemon('say "hi"\\', own), processes, {1234: web_usage}, {"listener": 3})
    )
    got = samples(text)
    info = (
        f'minder_info{{version="{__version__}",supervisor_version="{SUPERVISOR_COMPAT_VERSION}",'
        'identifier="say \\"hi\\"\\\\"}'
    )
    assert got[info] == "1"
    assert got["minder_up"] == "1"
    assert got['minder_daemon_state{state="RUNNING"}'] == "1"
    assert got["minder_daemon_pid"] == "4242"
    assert got["minder_daemon_start_time_seconds"] == str(int(NOW - 100))
    assert got["minder_daemon_cpu_seconds_total"] == "0.5"
    assert got["minder_daemon_resident_memory_bytes"] == "30000000"
    assert got["minder_daemon_open_fds"] == "12"

    web = '{group="web",name="web"}'
    assert got[f"minder_process_state{web}"] == "20"
    assert got['minder_process_state_info{group="web",name="web",state="RUNNING"}'] == "1"
    assert got[f"minder_process_pid{web}"] == "1234"
    assert got[f"minder_process_start_time_seconds{web}"] == str(int(NOW - 10))
    assert got[f"minder_process_cpu_seconds_total{web}"] == "1.25"
    assert got[f"minder_process_resident_memory_bytes{web}"] == "10485760"
    assert got[f"minder_process_open_fds{web}"] == "7"

    exited = '{group="jobs",name="jobs_00"}'
    assert got[f"minder_process_state{exited}"] == "100"
    assert got[f"minder_process_exit_status{exited}"] == "3"
    assert got[f"minder_process_pid{exited}"] == "0"
    assert f"minder_process_cpu_seconds_total{exited}" not in got  # no usage without a pid
    assert got['minder_process_state_info{group="jobs",name="jobs_01",state="STOPPED"}'] == "1"

    assert got['minder_processes{state="RUNNING"}'] == "1"
    assert got['minder_processes{state="FATAL"}'] == "0"
    assert got['minder_event_buffer_dropped_total{pool="listener"}'] == "3"


def test_every_family_has_help_and_type_before_its_samples() -> None:
    processes = [snap("g", f"g_{i:02d}", ProcessState.RUNNING, pid=100 + i) for i in range(3)]
    usage = Usage(1.0, 1, None, NOW)
    text = render(families(daemon(usage=usage), processes, {101: usage}, {}))
    seen: dict[str, str] = {}
    current = ""
    for line in lines_of(text):
        if line.startswith("# HELP "):
            name = line.split()[2]
            assert name not in seen, f"{name} described twice"
            seen[name] = ""
            current = name
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert name == current and kind in ("gauge", "counter")
            seen[name] = kind
        else:
            name = SAMPLE.match(line).group(1)  # type: ignore[union-attr]
            assert name == current, f"{line!r} outside its family"
            assert name.startswith("minder_")
            if seen[name] == "counter":
                assert name.endswith("_total")
    assert "minder_process_open_fds" not in seen  # fds unreadable: no line, not a fake 0
    assert "minder_event_buffer_dropped_total" not in seen  # no pools
    assert text.count("minder_process_cpu_seconds_total{") == 1  # only the sampled pid


def test_sampling_yields_to_the_loop_and_skips_vanished_pids() -> None:
    seen: list[int] = []

    def fake_sample(pid: int) -> Usage | None:
        seen.append(pid)
        return None if pid % 2 else Usage(0.0, pid, 1, NOW)

    pids = list(range(engine_usage.SAMPLE_BATCH * 2 + 1))
    ticks = 0

    async def main() -> dict[int, Usage]:
        nonlocal ticks
        task = asyncio.create_task(engine_usage.sample_usages(pids, fake_sample))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0)
        return task.result()

    result = asyncio.run(main())
    assert seen == pids
    assert sorted(result) == [p for p in pids if p % 2 == 0]
    assert ticks >= 2  # the loop ran other work while sampling
