"""The user's guide (shared/seed/000_f7ab926796d3a177.txt), step by step.

A map webserver and a scanner worker from ``examples/rocketmap/`` run
under minderd from the guide's ``supervisord.conf`` and ``conf.d/*.conf``
(only paths changed), driven with ``minderctl`` — and once with the
upstream ``supervisorctl`` — exactly as the guide tells its readers to.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_webui_support import (
    CHROMIUM,
    browser,
    open_page,
    row,
    screenshot,
    wait_row_state,
)
from tests.support.daemons import VENV_BIN, process_alive, rpc_proxy, wait_for
from tests.support.nginx import NGINX, main_config, run_nginx, sha_htpasswd_line
from tests.support.ports import free_port

__all__ = ["browser"]  # a fixture, imported for its side effect

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rocketmap"
IS_ROOT = os.geteuid() == 0
# The programs run as www-data, which cannot reach a venv under /root: use
# the system interpreter the guide means (runserver.py needs only the stdlib).
PYTHON = next(
    (p for p in ("/usr/bin/python3", "/usr/bin/python") if os.access(p, os.X_OK)), sys.executable
)


@dataclass
class Deployment:
    root: Path
    conf: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def sock(self) -> Path:
        return self.root / "run" / "supervisor.sock"

    def ctl(self, *args: str, client: str = "minderctl") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / client), "-c", str(self.conf), *args],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )

    def enable(self, name: str) -> None:
        """Place a program file into conf.d, as the guide's reader does."""
        shutil.copy(self.root / "available" / name, self.root / "conf.d" / name)

    def info(self, name: str) -> dict[str, object]:
        with rpc_proxy(str(self.sock)) as proxy:
            result: dict[str, object] = proxy.supervisor.getProcessInfo(name)
            return result

    def raw_data(self) -> dict[str, object]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/raw_data", timeout=5) as r:
            data: dict[str, object] = json.load(r)
            return data


def install(tmp: Path) -> Deployment:
    """Copy the example to ``tmp`` with its paths pointed there."""
    root = tmp / "rocketmap"
    shutil.copytree(EXAMPLE, root)
    (root / "run").mkdir()
    (root / "logs").mkdir()
    (root / "available").mkdir()
    port = free_port()
    for path in [root / "supervisord.conf", *(root / "conf.d").glob("*.conf")]:
        text = path.read_text().replace("/opt/rocketmap", str(root))
        text = text.replace("/usr/bin/python ", f"{PYTHON} ")
        if not IS_ROOT:  # user switching needs root; the rest of the guide still applies
            text = re.sub(r"(?m)^user = www-data\n", "", text)
            text = re.sub(r"(?m)^chown=.*\n", "", text)
        path.write_text(text)
    for conf in (root / "conf.d").glob("*.conf"):
        conf.rename(root / "available" / conf.name)
    ini = root / "config" / "config.ini"
    ini.write_text(ini.read_text().replace("port = 5000", f"port = {port}"))
    if IS_ROOT:
        ensure_www_data()
        # The guide's "Permissions" section: the tree belongs to www-data.
        subprocess.run(["chown", "-R", "www-data:www-data", str(root)], check=True)
    return Deployment(root, root / "supervisord.conf", port)


def ensure_www_data() -> None:
    """Debian has www-data; a minimal image may not: create it like the OS would."""
    try:
        pwd.getpwnam("www-data")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             "--user-group", "www-data"],
            check=True,
        )


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    # Not pytest's tmp_path: its parents are mode 0700, and www-data must
    # reach the code like it would under /opt.
    top = Path(tempfile.mkdtemp(prefix="minder-rocketmap-"))
    top.chmod(0o755)
    d = install(top)
    try:
        yield d
    finally:
        _stop(d)
        shutil.rmtree(top, ignore_errors=True)


def _stop(d: Deployment) -> None:
    if d.proc and d.proc.poll() is None:
        pids = [int(p) for p in _child_pids(d.proc.pid)]
        d.proc.send_signal(signal.SIGTERM)
        try:
            d.proc.wait(30)
        except subprocess.TimeoutExpired:
            d.proc.kill()
            d.proc.wait(10)
        for pid in pids:
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"minderd left child {pid} running")
    if d.proc and d.proc.stderr:
        d.proc.stderr.close()


def _child_pids(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []


def start_daemon(d: Deployment) -> None:
    d.proc = subprocess.Popen(
        [str(VENV_BIN / "minderd"), "-n", "-c", str(d.conf)],
        cwd=d.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )

    def answering() -> bool:
        assert d.proc is not None
        if d.proc.poll() is not None:
            err = d.proc.stderr.read().decode() if d.proc.stderr else ""
            raise AssertionError(f"minderd exited {d.proc.returncode}: {err}")
        with rpc_proxy(str(d.sock)) as proxy:
            return bool(proxy.supervisor.getState()["statename"] == "RUNNING")

    wait_for(answering, timeout=20, what="minderd to answer on the guide's socket")


def running(d: Deployment, name: str) -> bool:
    return d.info(name)["statename"] == "RUNNING"


def test_check_flags_the_guides_startsec_typo(deployment: Deployment) -> None:
    d = deployment
    d.enable("rm_tools.conf")
    d.enable("rm_areaXY.conf")
    r = subprocess.run(
        [str(VENV_BIN / "minderd"), "--check", "-c", str(d.conf)],
        capture_output=True, text=True, timeout=30,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout + r.stderr
    tools = d.root / "conf.d" / "rm_tools.conf"
    line = tools.read_text().splitlines().index("startsec=15") + 1
    # paths are shown relative to the main config's directory
    where = rf"(?m)^conf\.d/rm_tools\.conf:{line}: warning: "
    assert re.search(where + r".*'startsec'.*'startsecs'", out), out
    assert "rm_areaXY.conf" in out


def test_the_guide_step_by_step(deployment: Deployment) -> None:
    d = deployment
    start_daemon(d)

    # "Let's start with tools that we need" ... "run supervisorctl update"
    d.enable("rm_tools.conf")
    r = d.ctl("update")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rm_webserver: added process group" in r.stdout
    wait_for(lambda: running(d, "rm_webserver"), timeout=30, what="rm_webserver RUNNING")

    # "Now that you have a webserver running, add a searcher"
    d.enable("rm_areaXY.conf")
    r = d.ctl("update")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rm_areaXY: added process group" in r.stdout
    assert "rm_webserver" not in r.stdout  # unchanged: left alone
    wait_for(lambda: running(d, "rm_areaXY"), timeout=30, what="rm_areaXY RUNNING")

    r = d.ctl("status")
    assert r.returncode == 0, r.stdout
    assert re.search(r"(?m)^rm_areaXY\s+RUNNING\s+pid \d+, uptime", r.stdout), r.stdout
    assert re.search(r"(?m)^rm_webserver\s+RUNNING\s+pid \d+, uptime", r.stdout), r.stdout

    # The webserver serves what the worker writes to the shared database.
    data = wait_for(
        lambda: (lambda x: x if int(str(x["total"])) >= 2 else None)(d.raw_data()),
        timeout=30, what="the webserver to see the worker's rows",
    )
    assert data["workers"] == ["areaXY"]

    if IS_ROOT:  # "user = www-data": both run as www-data
        www = pwd.getpwnam("www-data").pw_uid
        for name in ("rm_webserver", "rm_areaXY"):
            pid = int(str(d.info(name)["pid"]))
            assert os.stat(f"/proc/{pid}").st_uid == www, name
        # The socket is the guide's: chmod 0700, owned by www-data.
        st = d.sock.stat()
        assert (st.st_mode & 0o777, st.st_uid) == (0o700, www)

    # "simply call supervisorctl restart rm_webserver": the worker keeps going.
    worker_pid = d.info("rm_areaXY")["pid"]
    web_pid = d.info("rm_webserver")["pid"]
    r = d.ctl("restart", "rm_webserver")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == ["rm_webserver: stopped", "rm_webserver: started"]
    assert d.info("rm_webserver")["pid"] != web_pid
    assert d.info("rm_areaXY")["pid"] == worker_pid

    # A crashed worker is restarted (autorestart=true).
    os.kill(int(str(worker_pid)), signal.SIGKILL)
    wait_for(
        lambda: running(d, "rm_areaXY") and d.info("rm_areaXY")["pid"] != worker_pid,
        timeout=30, what="rm_areaXY to be restarted after SIGKILL",
    )

    # redirect_stderr: the log file holds both streams.
    log = d.root / "logs" / "rm_areaXY.log"
    wait_for(lambda: "goes to stderr" in log.read_text(), what="stderr in the log")
    text = log.read_text()
    assert "starting scanner at 'locationToSearchAt'" in text
    assert "wrote 1 sighting" in text
    assert d.info("rm_areaXY")["stderr_logfile"] == ""

    # stop all / start all / restart all
    r = d.ctl("stop", "all")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(r.stdout.splitlines()) == ["rm_areaXY: stopped", "rm_webserver: stopped"]
    r = d.ctl("status")
    assert r.returncode == 3, r.stdout
    r = d.ctl("start", "all")
    assert sorted(r.stdout.splitlines()) == ["rm_areaXY: started", "rm_webserver: started"]
    r = d.ctl("restart", "all")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(r.stdout.splitlines()) == [
        "rm_areaXY: started", "rm_areaXY: stopped",
        "rm_webserver: started", "rm_webserver: stopped",
    ]
    assert d.ctl("status").returncode == 0


def test_the_guide_with_upstream_supervisorctl(deployment: Deployment) -> None:
    """The same commands through the real supervisorctl, unmodified."""
    d = deployment
    start_daemon(d)
    d.enable("rm_tools.conf")
    d.enable("rm_areaXY.conf")
    r = d.ctl("update", client="supervisorctl")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(r.stdout.splitlines()) == [
        "rm_areaXY: added process group", "rm_webserver: added process group",
    ]
    wait_for(lambda: running(d, "rm_webserver") and running(d, "rm_areaXY"), timeout=30)
    r = d.ctl("status", client="supervisorctl")
    assert r.returncode == 0
    assert len(re.findall(r"RUNNING\s+pid \d+, uptime", r.stdout)) == 2, r.stdout
    worker_pid = d.info("rm_areaXY")["pid"]
    r = d.ctl("restart", "rm_webserver", client="supervisorctl")
    assert r.stdout.splitlines() == ["rm_webserver: stopped", "rm_webserver: started"]
    assert d.info("rm_areaXY")["pid"] == worker_pid
    r = d.ctl("stop", "all", client="supervisorctl")
    assert sorted(r.stdout.splitlines()) == ["rm_areaXY: stopped", "rm_webserver: stopped"]
    assert d.ctl("status", client="supervisorctl").returncode == 3


UI_USER, UI_PASSWORD = "user", "123"  # the guide's example credentials


def nginx_main_config(d: Deployment, prefix: Path, port: int) -> Path:
    """A main nginx.conf that includes the example's site file, as
    /etc/nginx/nginx.conf includes conf.d/*.conf, with paths in ``prefix``."""
    htpasswd = prefix / "htpasswd"
    htpasswd.write_text(sha_htpasswd_line(UI_USER, UI_PASSWORD))
    site = (d.root / "nginx" / "rocketmap-supervisor.conf").read_text()
    site = site.replace("/opt/rocketmap", str(d.root))
    site = site.replace("/etc/nginx/.htpasswd", str(htpasswd))
    site = site.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};")
    (prefix / "site.conf").write_text(site)
    # As the guide intends: nginx's workers run as www-data, the owner the
    # guide gives the 0700 socket with chown=www-data:www-data.
    return main_config(prefix, f"    include {prefix}/site.conf;\n", user="www-data www-data")


@pytest.mark.nginx
@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(NGINX), reason=f"needs nginx at {NGINX}")
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs {CHROMIUM}")
def test_the_guides_web_ui_behind_nginx(deployment: Deployment, browser: Any) -> None:
    d = deployment
    start_daemon(d)
    d.enable("rm_tools.conf")
    d.enable("rm_areaXY.conf")
    assert d.ctl("update").returncode == 0
    wait_for(lambda: running(d, "rm_webserver") and running(d, "rm_areaXY"), timeout=30)

    prefix = d.root / "nginx-run"
    prefix.mkdir()
    port = free_port()
    conf = nginx_main_config(d, prefix, port)
    with run_nginx(prefix, conf, port):
        url = f"http://127.0.0.1:{port}/"
        # Without the password nginx refuses; with it the dashboard shows both.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        refused.value.close()
        creds = {"http_credentials": {"username": UI_USER, "password": UI_PASSWORD}}
        worker_pid = d.info("rm_areaXY")["pid"]
        web_pid = d.info("rm_webserver")["pid"]
        with open_page(browser, url, **creds) as page:
            wait_row_state(page, "rm_webserver", "RUNNING")
            wait_row_state(page, "rm_areaXY", "RUNNING")
            screenshot(page, "rocketmap-guide-dashboard")
            row(page, "rm_webserver").locator('button[data-act="restart"]').click()
            wait_for(
                lambda: d.info("rm_webserver")["pid"] not in (0, web_pid)
                and running(d, "rm_webserver"),
                timeout=30, what="the UI's restart of rm_webserver",
            )
            wait_row_state(page, "rm_webserver", "RUNNING")
        assert d.info("rm_areaXY")["pid"] == worker_pid
        log = (prefix / "access.log").read_text()
        assert f'"{UI_USER}"' in log or f" {UI_USER} " in log  # requests went through auth
