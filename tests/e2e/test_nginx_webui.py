"""The web UI behind nginx, configured as in the user's guide.

nginx proxies to minderd's unix socket (``upstream`` + ``proxy_pass``)
with ``auth_basic`` from an htpasswd file holding a ``{SHA}`` line; a
second location serves the same UI under a sub-path, which only works
because every URL the UI uses is relative. Chromium drives the UI through
the proxy, and one XML-RPC call goes through it too.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_webui_support import (
    browser,
    needs_chromium,
    open_page,
    row,
    screenshot,
    supervisor_call,
    wait_row_state,
    write_script,
)
from tests.support.daemons import RunningDaemon, proxy_at, run_daemon, wait_for
from tests.support.nginx import NGINX, main_config, run_nginx, sha_htpasswd_line
from tests.support.ports import free_port

USER, PASSWORD = "admin", "s3cret-pw"

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.skipif(not os.path.exists(NGINX), reason=f"nginx tests need {NGINX}"),
]
__all__ = ["browser"]

ECHO = """\
import sys
for line in sys.stdin:
    print("echo:", line.strip(), flush=True)
"""

LOCATION = """\
        auth_basic "Restricted";
        auth_basic_user_file {htpasswd};
        proxy_pass http://supervisor{upstream_path};
        proxy_http_version 1.1;
        proxy_buffering     off;
        proxy_max_temp_file_size 0;
        proxy_redirect default;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header Connection "";
"""


def nginx_config(prefix: Path, port: int, socket_path: Path, htpasswd: Path) -> Path:
    root = LOCATION.format(htpasswd=htpasswd, upstream_path="")
    sub = LOCATION.format(htpasswd=htpasswd, upstream_path="/")
    body = (
        f"    upstream supervisor {{\n        server unix:{socket_path} fail_timeout=0;\n    }}\n"
        f"    server {{\n    listen 127.0.0.1:{port};\n"
        f"    location / {{\n{root}    }}\n"
        f"    location /supervisor/ {{\n{sub}    }}\n    }}\n"
    )
    return main_config(prefix, body, user="root")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningDaemon, str]]:
    """minderd on its unix socket, nginx in front; yields (daemon, nginx URL)."""
    workdir = tmp_path_factory.mktemp("nginx-minderd")
    write_script(workdir, "echo.py", ECHO)
    programs = textwrap.dedent(
        f"""
        [program:echo]
        command={sys.executable} -u {workdir}/echo.py

        [program:api]
        command=sleep 1000

        [program:worker]
        command=sleep 1000
        numprocs=2
        process_name=%(program_name)s_%(process_num)d
        """
    )
    with run_daemon(workdir, programs) as daemon:
        wait_for(
            lambda: all(
                p["statename"] == "RUNNING" for p in supervisor_call(daemon, "getAllProcessInfo")
            ),
            timeout=30,
            what="every program RUNNING",
        )
        prefix = workdir / "nginx"
        prefix.mkdir()
        htpasswd = prefix / "htpasswd"
        htpasswd.write_text(sha_htpasswd_line(USER, PASSWORD))
        port = free_port()
        conf = nginx_config(prefix, port, daemon.socket_path, htpasswd)
        with run_nginx(prefix, conf, port):
            yield daemon, f"http://127.0.0.1:{port}/"


def credentials() -> dict[str, Any]:
    return {"http_credentials": {"username": USER, "password": PASSWORD}}


def test_xmlrpc_through_nginx_needs_the_password(stack: tuple[RunningDaemon, str]) -> None:
    _, url = stack
    authed = url.replace("http://", f"http://{USER}:{PASSWORD}@") + "RPC2"
    with proxy_at(authed) as proxy:
        assert proxy.supervisor.getState()["statename"] == "RUNNING"
        assert proxy.supervisor.getProcessInfo("api")["statename"] == "RUNNING"
    with xmlrpc.client.ServerProxy(url + "RPC2") as anonymous:
        with pytest.raises(xmlrpc.client.ProtocolError) as refused:
            anonymous.supervisor.getState()
        assert refused.value.errcode == 401


@pytest.mark.parametrize("base", ["", "supervisor/"], ids=["root", "sub-path"])
def test_dashboard_through_nginx(browser: Any, stack: tuple[RunningDaemon, str], base: str) -> None:
    d, url = stack
    with open_page(browser, url + base, **credentials()) as page:
        page.wait_for_selector("#conn.live")  # the event stream passes the proxy
        wait_row_state(page, "api", "RUNNING")
        assert page.url.startswith(url + base)
        row(page, "api").locator('button[data-act="stop"]').click()
        wait_row_state(page, "api", "STOPPED")
        assert supervisor_call(d, "getProcessInfo", "api")["statename"] == "STOPPED"
        row(page, "api").locator('button[data-act="start"]').click()
        wait_row_state(page, "api", "RUNNING")
        supervisor_call(d, "stopProcess", "worker:worker_1")  # a change made elsewhere, live
        wait_row_state(page, "worker:worker_1", "STOPPED")
        supervisor_call(d, "startProcess", "worker:worker_1")
        wait_row_state(page, "worker:worker_1", "RUNNING")
        screenshot(page, f"nginx-dashboard-{base.strip('/') or 'root'}")


def test_log_follows_live_through_nginx(browser: Any, stack: tuple[RunningDaemon, str]) -> None:
    d, url = stack
    with open_page(browser, url + "supervisor/tail.html?processname=echo", **credentials()) as page:
        page.wait_for_selector("#logview:not([hidden])")
        expect(page.locator("#log-status")).to_contain_text("following live")
        marker = f"through-the-proxy-{time.monotonic_ns()}"
        supervisor_call(d, "sendProcessStdin", "echo", marker + "\n")
        expect(page.locator("#log-body")).to_contain_text(f"echo: {marker}")
        screenshot(page, "nginx-log-viewer")


def test_legacy_link_confirm_stays_under_the_sub_path(
    browser: Any, stack: tuple[RunningDaemon, str]
) -> None:
    d, url = stack
    legacy = url + "supervisor/index.html?action=restart&processname=api"
    pid = supervisor_call(d, "getProcessInfo", "api")["pid"]
    with open_page(browser, legacy, **credentials()) as page:
        page.wait_for_selector("text=minder never acts on a link")
        assert supervisor_call(d, "getProcessInfo", "api")["pid"] == pid
        page.click("button[type=submit]")
        page.wait_for_selector("#banner >> text=Process api restarted")
        assert page.url.startswith(url + "supervisor/")
        wait_row_state(page, "api", "RUNNING")
        assert supervisor_call(d, "getProcessInfo", "api")["pid"] != pid


def test_without_credentials_nginx_refuses(stack: tuple[RunningDaemon, str]) -> None:
    _, url = stack
    for path in ("", "supervisor/", "api/v1/processes", "supervisor/api/v1/events"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + path).close()
        assert refused.value.code == 401
        assert refused.value.headers["WWW-Authenticate"] == 'Basic realm="Restricted"'
        refused.value.close()
