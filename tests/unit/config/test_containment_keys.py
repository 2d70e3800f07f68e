"""minder's pacing and containment keys (issue 14): values, errors, did-you-mean."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from minder.config import LoadResult
from minder.model.pacing import Pacing


def process(result: LoadResult):
    (group,) = result.root.groups
    (p,) = group.processes
    return p


def test_defaults(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("[program:a]\ncommand=/bin/true\n")
    p = process(result)
    assert p.pacing == Pacing() and p.killdescendants and not p.essential
    d = result.root.daemon
    assert (d.containment, d.container, d.childlogs_to_stdout, d.shutdown_timeout) == (
        "auto", False, False, 0.0)


def test_every_key(load_text: Callable[..., LoadResult]) -> None:
    result = load_text(
        "[program:a]\ncommand=/bin/true\nrestart_backoff_secs=0.5\nrestart_backoff_factor=3\n"
        "restart_backoff_max=60\nrestart_backoff_reset=5\nstartretries_forever=true\n"
        "fatal_cooldown=120\nkilldescendants=false\nessential=true\n",
    )
    p = process(result)
    assert p.pacing == Pacing(first=0.5, factor=3, cap=60, reset=5, fatal_cooldown=120,
                              forever=True)
    assert not p.killdescendants and p.essential


def test_daemon_keys(write, tmp_path) -> None:
    from minder.config import load

    path = tmp_path / "d.conf"
    path.write_text(f"[supervisord]\nlogfile={tmp_path}/d.log\ncontainment=subreaper\n"
                    "container=true\nchildlogs_to_stdout=true\nshutdown_timeout=2.5\n")
    d = load(str(path), environ={}, cwd=str(tmp_path)).root.daemon
    assert (d.containment, d.container, d.childlogs_to_stdout, d.shutdown_timeout) == (
        "subreaper", True, True, 2.5)


@pytest.mark.parametrize(("line", "message"), [
    ("restart_backoff_secs=-1", "'-1' is not a duration"),
    ("restart_backoff_secs=soon", "not a number of seconds: 'soon'"),
    ("restart_backoff_factor=0.5", "a backoff factor below 1 (0.5) would shrink the delay"),
    ("restart_backoff_max=0.01", "restart_backoff_max (0.01) is below restart_backoff_secs"),
    ("fatal_cooldown=inf", "'inf' is not a duration"),
])
def test_bad_values_name_the_key(errors_of: Callable[..., list[str]], line: str,
                                 message: str) -> None:
    (error,) = errors_of(f"[program:a]\ncommand=/bin/true\n{line}\n")
    assert f":{6 + 1}: error: [program:a]" in error  # the key.s own line
    assert message in error


def test_unknown_containment_mode(tmp_path) -> None:
    from minder.config import ConfigError, load

    path = tmp_path / "d.conf"
    path.write_text(f"[supervisord]\nlogfile={tmp_path}/d.log\ncontainment=docker\n")
    with pytest.raises(ConfigError) as info:
        load(str(path), environ={}, cwd=str(tmp_path))
    (error,) = [str(d) for d in info.value.diagnostics]
    assert error.startswith("d.conf:3: error: [supervisord] ")
    assert "unknown containment mode 'docker'" in error
    assert "auto, cgroup, subreaper, off" in error


@pytest.mark.parametrize(("key", "suggestion"), [
    ("restart_backoff_sec", "did you mean 'restart_backoff_secs'?"),
    ("killdescendant", "did you mean 'killdescendants'?"),
    ("fatal_cooldwn", "did you mean 'fatal_cooldown'?"),
])
def test_typos_get_a_did_you_mean(load_text: Callable[..., LoadResult], key: str,
                                  suggestion: str) -> None:
    (warning,) = load_text(f"[program:a]\ncommand=/bin/true\n{key}=1\n").diagnostics
    assert warning.suggestion == suggestion
