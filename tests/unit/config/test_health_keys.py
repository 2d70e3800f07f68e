"""minder's readiness, liveness and resource keys (issue 16): values and errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from minder.config import LoadResult
from minder.config.dotenv import parse
from minder.model.specs import ProbeSpec, ProcessSpec


def only(result: LoadResult) -> ProcessSpec:
    (group,) = result.root.groups
    (process,) = group.processes
    return process


def test_every_probe_form_and_its_timings(load_text: Callable[..., LoadResult]) -> None:
    p = only(load_text("""
        [program:web]
        command=/bin/true
        ready_check=http://127.0.0.1:8080/ready
        ready_interval=0.5
        ready_timeout=2
        ready_deadline=30
        health_check=exec:/usr/bin/test -e /tmp
        health_interval=5
        health_retries=2
        health_start_period=10
    """))
    h = p.health
    assert h.ready == ProbeSpec("http", "http://127.0.0.1:8080/ready", "127.0.0.1", 8080, 0.5, 2.0)
    assert (h.ready_deadline, h.health_retries, h.health_start_period) == (30.0, 2, 10.0)
    assert h.health == ProbeSpec("exec", "/usr/bin/test -e /tmp", interval=5.0, timeout=1.0)


def test_defaults_mean_ready_is_running(load_text: Callable[..., LoadResult]) -> None:
    p = only(load_text("[program:a]\ncommand=/bin/true\n"))
    assert p.health.ready is None and p.health.health is None
    assert p.resources.rlimits == () and p.resources.memory_limit == 0


def test_tcp_and_notify(load_text: Callable[..., LoadResult]) -> None:
    p = only(load_text("[program:a]\ncommand=/bin/true\nready_check=notify\n"
                       "health_check=tcp://localhost:5432\n"))
    assert p.health.ready is not None and p.health.ready.kind == "notify"
    assert p.health.health is not None and (p.health.health.host, p.health.health.port) == (
        "localhost", 5432)


@pytest.mark.parametrize(
    ("line", "message"),
    [("ready_check=tcp://127.0.0.1", "needs a host and a port"),
     ("ready_check=ftp://x:1", "unknown check 'ftp://x:1' (write tcp://HOST:PORT"),
     ("ready_check=https://x:1/", "https probes are not supported"),
     ("health_check=exec:", "exec: needs a command"),
     ("ready_interval=0\nready_check=notify", "'0' is not a positive number of seconds"),
     ("health_retries=0\nhealth_check=notify", "0 is below lower bound (1)"),
     ("rlimit_nofile=10:5", "the soft limit is above the hard limit"),
     ("rlimit_nofile=lots", "invalid literal for int()"),
     ("memory_limit=big", "invalid literal for int()")],
)
def test_bad_values_name_file_line_and_key(
    errors_of: Callable[..., list[str]], line: str, message: str
) -> None:
    errors = errors_of(f"[program:a]\ncommand=/bin/true\n{line}\n")
    assert any(message in e and e.startswith("supervisord.conf:7: error: [program:a]")
               for e in errors), errors


def test_misspelt_key_gets_did_you_mean(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("[program:a]\ncommand=/bin/true\nready_chek=notify\n")
    assert any("did you mean 'ready_check'" in str(d) for d in result.diagnostics)


def test_rlimits_and_memory_limit(load_text: Callable[..., LoadResult]) -> None:
    p = only(load_text("[program:a]\ncommand=/bin/true\nrlimit_nofile=1024:4096\n"
                       "rlimit_core=unlimited\nrlimit_as=2GB\nmemory_limit=200MB\n"))
    assert set(p.resources.rlimits) == {("NOFILE", 1024, 4096), ("CORE", -1, -1),
                                        ("AS", 2 * 1024**3, 2 * 1024**3)}
    assert p.resources.memory_limit == 200 * 1024 * 1024


ENV_FILE = '''\
# database settings
export DB_HOST=db.internal
DB_PASSWORD='s3cr#t "quoted"'
GREETING="hello\\nworld"   # an inline comment
PLAIN=value with spaces # trailing comment
EMPTY=

this line is wrong
'''


def test_dotenv_quotes_comments_and_a_bad_line() -> None:
    pairs, problems = parse(ENV_FILE)
    assert pairs == [("DB_HOST", "db.internal"), ("DB_PASSWORD", 's3cr#t "quoted"'),
                     ("GREETING", "hello\nworld"), ("PLAIN", "value with spaces"),
                     ("EMPTY", "")]
    assert [(p.line, p.message) for p in problems] == [(8, "expected NAME=value")]


@pytest.mark.parametrize(("line", "message"), [
    ("A='open", "the value of A has an unclosed quote"),
    ('B="x" y', "text after its closing quote"),
    ("1X=2", "must be letters, digits and _"),
])
def test_dotenv_problems(line: str, message: str) -> None:
    _, (problem,) = parse(line + "\n")
    assert message in problem.message


def test_environment_file_errors_name_the_file_and_line_but_never_a_value(
    errors_of: Callable[..., list[str]], tmp_path: Path
) -> None:
    (tmp_path / "app.env").write_text(ENV_FILE.replace("this line is wrong", "X='s3cr#t"))
    errors = errors_of("[program:a]\ncommand=/bin/true\nenvironment_file=%(here)s/app.env\n")
    (error,) = errors
    assert error.startswith("app.env:8: error: [program:a] the value of X has an unclosed quote")
    assert "s3cr" not in error and "supervisord.conf:7" in error


def test_environment_file_values_reach_the_spec_not_its_repr(
    load_text: Callable[..., LoadResult], tmp_path: Path
) -> None:
    (tmp_path / "app.env").write_text("TOKEN=hunter2\nA=1\n")
    p = only(load_text("[program:a]\ncommand=/bin/true\nenvironment_file=%(here)s/app.env\n"))
    assert p.resources.file_environment == (("TOKEN", "hunter2"), ("A", "1"))
    assert "hunter2" not in repr(p)


def test_missing_environment_file(errors_of: Callable[..., list[str]],
                                  load_text: Callable[..., LoadResult]) -> None:
    (error,) = errors_of("[program:a]\ncommand=/bin/true\nenvironment_file=/nope.env\n")
    assert "environment_file /nope.env does not exist" in error
    p = only(load_text("[program:a]\ncommand=/bin/true\nenvironment_file=-/nope.env\n"))
    assert p.resources.file_environment == ()


def test_update_strategy_of_a_program_and_of_a_group(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("""
        [program:web]
        command=/bin/true
        update_strategy=Rolling
        update_batch=2

        [program:plain]
        command=/bin/true

        [group:g]
        programs=a
        update_strategy=rolling

        [program:a]
        command=/bin/true
        update_batch=3
    """)
    groups = {g.name: g for g in result.root.groups}
    assert (groups["web"].update_strategy, groups["web"].update_batch) == ("rolling", 2)
    assert (groups["plain"].update_strategy, groups["plain"].update_batch) == ("restart", 1)
    assert (groups["g"].update_strategy, groups["g"].update_batch) == ("rolling", 1)
    (warning,) = [str(d) for d in result.diagnostics]
    assert "supervisord.conf:19" in warning and "[program:a]" in warning
    assert "update_batch of a [group:g] member is ignored" in warning
    assert "set update_batch in [group:g]" in warning


def test_update_strategy_errors_name_the_line_and_the_fix(
    errors_of: Callable[..., list[str]], load_text: Callable[..., LoadResult]
) -> None:
    (error,) = errors_of("[program:a]\ncommand=/bin/true\nupdate_strategy=rollin\n")
    assert "supervisord.conf:7" in error and "update_strategy" in error
    assert "unknown update_strategy 'rollin'" in error and "did you mean 'rolling'?" in error
    (error,) = errors_of("[program:a]\ncommand=/bin/true\nupdate_strategy=rolling\n"
                         "update_batch=0\n")
    assert "update_batch" in error and "supervisord.conf:8" in error
    typo = load_text("[program:a]\ncommand=/bin/true\nupdate_stratgy=rolling\n")
    assert any("did you mean 'update_strategy'" in str(d) for d in typo.diagnostics)
    listener = load_text("[eventlistener:e]\ncommand=/bin/true\nevents=TICK_5\n"
                         "update_strategy=rolling\n")  # a pool is not rolled
    assert any("update_strategy" in str(d) for d in listener.diagnostics)
    result = load_text("[program:a]\ncommand=/bin/true\nupdate_batch=2\n")
    assert any("update_batch is ignored without update_strategy=rolling" in str(d)
               for d in result.diagnostics)
