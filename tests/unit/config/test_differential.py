"""The same configs parsed by upstream supervisor 4.3 (imported, not run) and
by minder must give the same processes, field by field.

Only configs both accept are compared; where minder deliberately differs
(docs/differences.md) the other tests cover it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from supervisor import datatypes as up_types
from supervisor.options import ServerOptions

from minder.config import load
from minder.model.specs import AutoRestart, LogSpec, ProcessSpec, RootSpec

CONFIGS = {
    "numprocs_and_expansions": """
        [supervisord]
        logfile=%(here)s/d.log
        environment=G="x y",H=%(here)s
        [program:web]
        command=/bin/echo %(process_num)d %(ENV_G)s %(group_name)s %%
        process_name=%(program_name)s_%(process_num)02d
        numprocs=3
        numprocs_start=3
        stopsignal=int
        exitcodes=0,3
        environment=A="1 2",B=%(program_name)s,C='q'
        stdout_logfile=%(here)s/out-%(process_num)d.log
        stdout_logfile_maxbytes=1KB
        stderr_logfile=NONE
        directory=/tmp/%(ENV_A)s
        [group:g]
        programs=web,api
        priority=4
        [program:api]
        command = /bin/api --port=80%(process_num)02d
        priority=7
        autorestart=true
        startsecs=0
        stopasgroup=true
        user=www-data
        umask=002
        serverurl=AUTO
        redirect_stderr=yes
        """,
    "defaults_and_listener": """
        [DEFAULT]
        startretries=9
        [supervisord]
        logfile=%(here)s/d.log
        [program:a]
        command=/bin/cat
        autorestart=false
        stdout_capture_maxbytes=1MB
        stderr_events_enabled=true
        stdout_syslog=true
        [eventlistener:ev]
        command=/bin/cat
        events=PROCESS_STATE,tick_5
        buffer_size=20
        [fcgi-program:php]
        command=/usr/bin/php-cgi
        socket=unix:///tmp/%(program_name)s.sock
        process_name=%(program_name)s_%(process_num)d
        numprocs=2
        """,
}


def upstream(path: Path) -> list[tuple[str, int, list[dict[str, Any]]]]:
    options = ServerOptions()
    options.configfile = str(path)
    options.process_config(do_usage=False)
    return [
        (g.name, g.priority, [_up_process(p) for p in g.process_configs])
        for g in sorted(options.process_group_configs)
    ]


def _up_log(value: Any) -> str | None:
    return "AUTO" if value is up_types.Automatic else value


def _up_process(p: Any) -> dict[str, Any]:
    restart = {up_types.RestartWhenExitUnexpected: "unexpected", False: "false"}.get(
        p.autorestart, "true")
    return {
        "name": p.name, "command": p.command, "priority": p.priority,
        "autostart": p.autostart, "autorestart": restart, "startsecs": p.startsecs,
        "startretries": p.startretries, "exitcodes": tuple(p.exitcodes),
        "stopsignal": p.stopsignal, "stopwaitsecs": p.stopwaitsecs,
        "stopasgroup": p.stopasgroup, "killasgroup": p.killasgroup, "uid": p.uid,
        "redirect_stderr": p.redirect_stderr, "environment": p.environment or {},
        "directory": p.directory, "umask": p.umask, "serverurl": p.serverurl,
        **{
            f"{c}_{field}": getattr(p, f"{c}_{field}")
            for c in ("stdout", "stderr")
            for field in ("logfile_maxbytes", "logfile_backups", "capture_maxbytes",
                          "events_enabled", "syslog")
        },
        "stdout_logfile": _up_log(p.stdout_logfile),
        "stderr_logfile": _up_log(p.stderr_logfile),
    }


def minder(root: RootSpec) -> list[tuple[str, int, list[dict[str, Any]]]]:
    daemon_env = dict(root.daemon.environment)
    return [
        (g.name, g.priority, [_our_process(p, daemon_env) for p in g.processes])
        for g in root.groups
    ]


def _our_log(log: LogSpec) -> str | None:
    return "AUTO" if log.auto else log.path


def _our_process(p: ProcessSpec, daemon_env: dict[str, str]) -> dict[str, Any]:
    restart = {AutoRestart.UNEXPECTED: "unexpected", AutoRestart.NEVER: "false",
               AutoRestart.ALWAYS: "true"}[p.autorestart]
    result: dict[str, Any] = {
        "name": p.name, "command": p.command, "priority": p.priority,
        "autostart": p.autostart, "autorestart": restart, "startsecs": p.startsecs,
        "startretries": p.startretries, "exitcodes": p.exitcodes,
        "stopsignal": p.stopsignal, "stopwaitsecs": p.stopwaitsecs,
        "stopasgroup": p.stopasgroup, "killasgroup": p.killasgroup, "uid": p.uid,
        "redirect_stderr": p.redirect_stderr,
        "environment": {**daemon_env, **dict(p.environment)},
        "directory": p.directory, "umask": p.umask, "serverurl": p.serverurl,
        "stdout_logfile": _our_log(p.stdout), "stderr_logfile": _our_log(p.stderr),
    }
    for channel, log in (("stdout", p.stdout), ("stderr", p.stderr)):
        result.update({
            f"{channel}_logfile_maxbytes": log.maxbytes,
            f"{channel}_logfile_backups": log.backups,
            f"{channel}_capture_maxbytes": log.capture_maxbytes,
            f"{channel}_events_enabled": log.events_enabled,
            f"{channel}_syslog": log.syslog,
        })
    return result


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_same_processes_as_supervisord(tmp_path: Path, name: str) -> None:
    path = tmp_path / "supervisord.conf"
    path.write_text(textwrap.dedent(CONFIGS[name]))
    ours = minder(load(str(path), cwd=str(tmp_path)).root)
    theirs = upstream(path)
    assert [(g, prio) for g, prio, _ in ours] == [(g, prio) for g, prio, _ in theirs]
    for (group, _, our_procs), (_, _, their_procs) in zip(ours, theirs, strict=True):
        # supervisord keeps a heterogeneous group's processes in programs= order
        assert [p["name"] for p in our_procs] == [p["name"] for p in their_procs], group
        for ours_p, theirs_p in zip(our_procs, their_procs, strict=True):
            assert ours_p == theirs_p, (group, ours_p["name"])


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "configs"


@pytest.mark.parametrize("case", ["every_section", "seed_rocketmap"])
def test_fixture_configs_match_supervisord(case: str) -> None:
    path = FIXTURES / case / "supervisord.conf"
    ours = minder(load(str(path), cwd=str(path.parent)).root)
    assert ours == upstream(path)
