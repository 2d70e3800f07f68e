"""The operations pack against a real minderd: versions in the log, journald and JSON
logs, both log-rotation recipes, fleet status, shell completion in a real bash,
man pages through man(1), the systemd unit through systemd-analyze, the sample
config through minderd and supervisord, and a Procfile through honcho's export."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import textwrap
from pathlib import Path

import pytest

import minder
from tests.support.daemons import VENV_BIN, RunningDaemon, run_daemon, wait_for, write_config

ROOT = Path(__file__).resolve().parents[2]
MINDERD = str(VENV_BIN / "minderd")
MINDERCTL = str(VENV_BIN / "minderctl")

TICKER = """
[program:ticker]
command=/bin/sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.05; done'
startsecs=0
stdout_logfile=%(here)s/ticker.log
stdout_logfile_maxbytes=0
"""


def run(*argv: str, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})}, cwd=cwd,
    )


def running(d: RunningDaemon, name: str) -> bool:
    with d.rpc() as proxy:
        return bool(proxy.supervisor.getProcessInfo(name)["statename"] == "RUNNING")


# -- versions and log formats -------------------------------------------------------------


def test_version_verbose_and_the_start_line_name_minders_version(tmp_path: Path) -> None:
    verbose = run(MINDERD, "--version", "--verbose")
    assert verbose.returncode == 0
    assert verbose.stdout.startswith("4.3.0\nminder ")
    assert f"minder {minder.__version__} " in verbose.stdout
    assert run(MINDERD, "--version").stdout == "4.3.0\n"
    with run_daemon(tmp_path, "") as d:
        wait_for(lambda: "supervisord started with pid" in d.main_log())
        assert re.search(
            rf"INFO supervisord started with pid {d.proc.pid} \(minder {minder.__version__}\)",
            d.main_log(),
        )


def test_json_log_format(tmp_path: Path) -> None:
    conf, _sock, log = write_config(tmp_path, "")
    conf.write_text(conf.read_text().replace("[supervisord]\n", "[supervisord]\nlogformat=json\n"))
    proc = subprocess.Popen([MINDERD, "-n", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: "supervisord started" in log.read_text() if log.exists() else False)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"time", "level", "message"} == set(records[0])
    assert any(r["message"].startswith("supervisord started with pid") and r["level"] == "INFO"
               for r in records)


def test_under_journald_stdout_has_priorities_and_no_timestamp(tmp_path: Path) -> None:
    conf, _sock, log = write_config(tmp_path, TICKER)
    journal = tmp_path / "journal"
    with journal.open("wb") as stdout:
        status = os.fstat(stdout.fileno())
        proc = subprocess.Popen(
            [MINDERD, "-n", "-c", str(conf)], stdout=stdout, stderr=subprocess.DEVNULL,
            env={**os.environ, "JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"},
        )
    try:
        wait_for(lambda: "success: ticker" in journal.read_text(), what="the journal copy")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    lines = journal.read_text().splitlines()
    assert lines
    assert [x for x in lines if not re.match(r"<[0-7]>", x)] == []
    assert [x for x in lines if re.match(r"<[0-7]>\d{4}-\d\d-\d\d ", x)] == []
    assert any(x.startswith("<6>INFO supervisord started with pid") for x in lines)
    assert any(x.startswith("<4>WARN received SIGTERM") for x in lines)
    stamped = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO supervisord started with pid"
    assert re.search(stamped, log.read_text(), re.M)  # the file keeps supervisord's lines


# -- log rotation recipes (docs/operations.md) --------------------------------------------------


def _ticks(path: Path) -> list[int]:
    return [int(x.split()[1]) for x in path.read_text().splitlines() if x.startswith("tick ")]


def test_rotation_by_rename_and_sigusr2(tmp_path: Path) -> None:
    with run_daemon(tmp_path, TICKER) as d:
        ticker_log = tmp_path / "ticker.log"
        wait_for(lambda: ticker_log.exists() and len(_ticks(ticker_log)) >= 3)
        ticker_log.rename(tmp_path / "ticker.log.1")
        d.logfile.rename(tmp_path / "daemon.log.1")
        d.proc.send_signal(signal.SIGUSR2)  # what logrotate's postrotate runs
        wait_for(lambda: ticker_log.exists() and len(_ticks(ticker_log)) >= 3,
                 what="output in the new ticker.log")
        wait_for(lambda: "supervisord logreopen" in d.main_log(), what="a new main log")
        old, new = _ticks(tmp_path / "ticker.log.1"), _ticks(ticker_log)
        assert new[0] > old[-1]
        assert set(range(old[0], new[-1] + 1)) == set(old + new)  # no line lost


def test_rotation_by_copytruncate(tmp_path: Path) -> None:
    with run_daemon(tmp_path, TICKER):
        ticker_log = tmp_path / "ticker.log"
        wait_for(lambda: ticker_log.exists() and len(_ticks(ticker_log)) >= 3)
        shutil.copyfile(ticker_log, tmp_path / "ticker.log.1")  # logrotate copytruncate
        os.truncate(ticker_log, 0)
        wait_for(lambda: len(_ticks(ticker_log)) >= 3, what="output after the truncation")
        data = ticker_log.read_bytes()
        assert not data.startswith(b"\0"), "minder wrote at its old offset, leaving a hole"
        assert len(data) < (tmp_path / "ticker.log.1").stat().st_size + 4096


# -- several servers ------------------------------------------------------------------------------


def test_fleet_status_has_a_host_column(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = "[program:alpha]\ncommand=sleep 600\nstartsecs=0\n"
    two = "[program:beta]\ncommand=sleep 600\nstartsecs=0\n[program:gamma]\ncommand=true\n" \
          "autostart=false\n"
    with run_daemon(tmp_path / "a", one) as a, run_daemon(tmp_path / "b", two) as b:
        wait_for(lambda: running(a, "alpha") and running(b, "beta"))
        urls = ["-s", a.serverurl, "-s", b.serverurl]
        result = run(MINDERCTL, *urls, "status")
        rows = [line.split() for line in result.stdout.splitlines()]
        assert [(r[0], r[1], r[2]) for r in rows] == [
            (str(a.socket_path), "alpha", "RUNNING"),
            (str(b.socket_path), "beta", "RUNNING"),
            (str(b.socket_path), "gamma", "STOPPED"),
        ]
        assert result.returncode == 3  # gamma is not running, as status says
        as_json = json.loads(run(MINDERCTL, *urls, "status", "--json").stdout)
        assert [(r["host"], r["name"]) for r in as_json] == [
            (str(a.socket_path), "alpha"), (str(b.socket_path), "beta"),
            (str(b.socket_path), "gamma")]
        down = run(MINDERCTL, *urls, "-s", f"unix://{tmp_path}/nobody.sock", "status", "alpha")
        assert down.returncode == 4
        assert f"{tmp_path}/nobody.sock" in down.stdout and "ERROR" in down.stdout
        assert "beta: ERROR (no such process)" not in down.stdout  # a name, not a group
        refused = run(MINDERCTL, *urls, "stop", "all")
        assert refused.returncode == 2
        assert "only 'status' runs on several servers" in refused.stderr
        assert running(a, "alpha") and running(b, "beta")


# -- completion in a real bash -----------------------------------------------------------------


def _complete(script: Path, line: str, env: dict[str, str]) -> list[str]:
    program = textwrap.dedent(f"""\
        source {script}
        complete -p minderctl
        COMP_LINE={json.dumps(line)}
        COMP_POINT=${{#COMP_LINE}}
        read -ra COMP_WORDS <<< "$COMP_LINE"
        [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
        _minderctl
        printf '%s\\n' "${{COMPREPLY[@]}}"
        """)
    result = run("bash", "--norc", "--noprofile", "-c", program, env=env)
    assert result.returncode == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    assert first == "complete -F _minderctl minderctl"
    return sorted(rest)


def test_bash_completion_of_commands_and_live_names(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    installed = run(MINDERCTL, "completion", "install", "bash", env=env)
    assert installed.returncode == 0, installed.stdout
    script = home / ".local/share/bash-completion/completions/minderctl"
    assert str(script) in installed.stdout
    body = ("[group:web]\nprograms=web_a,web_b\n"
            "[program:web_a]\ncommand=sleep 600\nstartsecs=0\n"
            "[program:web_b]\ncommand=sleep 600\nstartsecs=0\n"
            "[program:queue]\ncommand=sleep 600\nstartsecs=0\n")
    with run_daemon(tmp_path, body) as d:
        wait_for(lambda: running(d, "queue"))
        conf = str(d.conf)
        assert _complete(script, "minderctl sta", env) == ["start", "startup", "status"]
        assert _complete(script, f"minderctl -c {conf} restart ", env) == [
            "all", "queue", "web:*", "web:web_a", "web:web_b"]
        assert _complete(script, f"minderctl -c {conf} stop q", env) == ["queue"]
        # bash splits at ':', so what comes back is the part after the colon
        assert _complete(script, f"minderctl -c {conf} tail web:web_", env) == ["web_a", "web_b"]
        assert _complete(script, f"minderctl -c {conf} update ", env) == ["queue", "web"]
        assert _complete(script, "minderctl --ver", env) == ["--version"]
    # the daemon is gone: names complete to nothing, quietly
    assert _complete(script, f"minderctl -c {conf} stop ", env) == ["all"]


ZSH_STUBS = """\
# compadd and _describe stand in for the completion system: they print the candidates
compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }
_describe() { local -a items; items=("${(@P)4}"); print -l -- "${items[@]%%:*}" }
_files() { print -- FILES }
"""


def _zsh_complete(zsh: str, script: Path, words: list[str], env: dict[str, str]) -> list[str]:
    program = ZSH_STUBS + textwrap.dedent(f"""\
        source {script} >/dev/null 2>&1
        words=({" ".join(json.dumps(w) for w in words)})
        CURRENT={len(words)}
        _minderctl
        """)
    result = run(zsh, "-f", "-c", program, env=env)
    assert result.returncode == 0, result.stderr
    return sorted(result.stdout.split())


def test_zsh_completion_of_commands_and_live_names(tmp_path: Path) -> None:
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed (tools/install-system-deps.sh installs it)")
    env = {"HOME": str(tmp_path), "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    installed = run(MINDERCTL, "completion", "install", "zsh", env=env)
    assert installed.returncode == 0, installed.stdout
    script = tmp_path / ".zfunc" / "_minderctl"
    assert script.read_text().startswith("#compdef minderctl\n")
    assert run(zsh, "-n", str(script)).returncode == 0
    commands = _zsh_complete(zsh, script, ["minderctl", ""], env)
    assert {"status", "tail", "completion", "startup"} <= set(commands)
    body = "[group:web]\nprograms=web_a\n[program:web_a]\ncommand=sleep 600\nstartsecs=0\n"
    with run_daemon(tmp_path, body) as d:
        wait_for(lambda: running(d, "web:web_a"))
        words = ["minderctl", "-c", str(d.conf), "restart", ""]
        assert _zsh_complete(zsh, script, words, env) == ["all", "web:*", "web:web_a"]
        words = ["minderctl", "-c", str(d.conf), "update", ""]
        assert _zsh_complete(zsh, script, words, env) == ["web"]
    assert _zsh_complete(zsh, script, ["minderctl", "-c", ""], env) == ["FILES"]


# -- man pages, systemd unit, sample config, Procfile -----------------------------------------


@pytest.mark.parametrize(("page", "expected"), [
    ("minderd.1", ["--check", "--sample-config", "SIGUSR2", "JOURNAL_STREAM"]),
    ("minderctl.1", ["--serverurl", "completion", "startup", "tail -f all"]),
    ("minder.conf.5", ["[PROGRAM:X]", "depends_on", "logformat"]),
])
def test_man_pages_render_with_man(page: str, expected: list[str]) -> None:
    if shutil.which("man") is None:
        pytest.skip("man is not installed (tools/install-system-deps.sh installs man-db)")
    shown = run("man", "-l", str(ROOT / "docs" / "man" / page),
                env={"MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat"})
    assert shown.returncode == 0, shown.stderr
    assert "warning" not in shown.stderr.lower(), shown.stderr
    text = re.sub(r".\x08", "", shown.stdout)  # overstrike bold, if any
    for word in expected:
        assert word in text, word


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    manpath = tmp_path / "man"
    (manpath / "man1").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "man" / "minderd.1", manpath / "man1")
    conf, _sock, _log = write_config(tmp_path, TICKER)
    env = {"MANPATH": str(manpath)}
    unit = run(MINDERCTL, "-c", str(conf), "startup", "systemd", env=env)
    assert unit.returncode == 0, unit.stdout
    assert f"ExecReload={MINDERCTL} -c {conf} update" in unit.stdout
    assert "Documentation=man:minderd(1) https://" in unit.stdout
    path = tmp_path / "minderd.service"
    path.write_text(unit.stdout)
    verified = run(analyze, "verify", str(path), env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "minderd.service" not in verified.stderr, verified.stderr  # no warning about the unit
    shipped = ROOT / "examples" / "systemd" / "minderd.service"
    text = shipped.read_text()
    assert "ExecReload=" in text and " update" in text and "HUP" not in text
    assert "KillMode=mixed" in text and "Delegate=yes" in text


def test_sample_config_runs_under_minderd_and_supervisord(tmp_path: Path) -> None:
    sample = run(MINDERD, "--sample-config")
    assert sample.returncode == 0
    text = sample.stdout.replace("/tmp/", f"{tmp_path}/")
    path = tmp_path / "supervisord.conf"
    path.write_text(text)
    checked = run(MINDERD, "--check", "--strict", "-c", str(path))
    assert checked.returncode == 0, checked.stdout
    upstream = run(str(VENV_BIN / "python"), "-c", textwrap.dedent(f"""\
        from supervisor.options import ServerOptions
        options = ServerOptions()
        options.realize(args=["-c", {str(path)!r}])
        print(options.logfile, options.server_configs[0]["file"])
        """))
    assert upstream.returncode == 0, upstream.stderr
    assert upstream.stdout.split() == [f"{tmp_path}/supervisord.log", f"{tmp_path}/supervisor.sock"]
    # and it runs: minderctl reaches the daemon through the [supervisorctl] it wrote
    proc = subprocess.Popen([MINDERD, "-n", "-c", str(path)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: run(MINDERCTL, "-c", str(path), "pid").stdout.strip() == str(proc.pid))
        assert run(MINDERCTL, "-c", str(path), "shutdown").returncode == 0
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_a_procfile_through_honchos_export(tmp_path: Path) -> None:
    honcho = VENV_BIN / "honcho"
    if not honcho.exists():
        pytest.skip("honcho is not installed (it is in the test extras)")
    app = tmp_path / "app"
    (app / "log").mkdir(parents=True)
    # double quotes only: honcho wraps each command in sh -c '...' without escaping
    # single quotes inside it (docs/operations.md says so)
    (app / "Procfile").write_text(
        'worker: sh -c "while true; do echo tick $GREETING; sleep 0.1; done"\n'
    )
    (app / ".env").write_text("GREETING=hi\n")
    user = run("id", "-un").stdout.strip()
    exported = run(str(honcho), "export", "-a", "myapp", "-u", user, "-l", str(app / "log"),
                   "supervisord", str(app / "conf.d"), cwd=app)
    assert exported.returncode == 0, exported.stderr
    body = f"[include]\nfiles={app}/conf.d/*.conf\n"
    conf, _sock, _log = write_config(tmp_path, body)
    checked = run(MINDERD, "--check", "-c", str(conf))
    assert checked.returncode == 0, checked.stdout
    with run_daemon(tmp_path, body) as d:
        wait_for(lambda: running(d, "myapp:worker-1"))
        log = app / "log" / "worker-1.log"
        wait_for(lambda: log.exists() and "tick hi" in log.read_text(), what="the worker's output")
