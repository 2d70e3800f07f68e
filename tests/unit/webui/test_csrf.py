"""Every mutation needs the CSRF token and a same-origin request; no GET mutates."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from minder.protocol.states import ProcessState
from tests.fakes.engine import FakeEngine
from tests.unit.webui.conftest import run_scenario, token

Client = TestClient[web.Request, web.Application]

MUTATIONS = [
    "/api/v1/processes/web/stop",
    "/api/v1/processes/web/restart",
    "/api/v1/processes/web/clear",
    "/api/v1/groups/web/stop",
    "/api/v1/all/stop",
    "/api/v1/config/reread",
    "/api/v1/config/update",
    "/api/v1/mainlog/clear",
]


def engine() -> FakeEngine:
    e = FakeEngine()
    e.add("web", "web", ProcessState.RUNNING)
    return e


def assert_untouched(e: FakeEngine) -> None:
    proc = e.processes[("web", "web")]
    assert proc.state == ProcessState.RUNNING and proc.cleared == 0
    assert e.calls == []


@pytest.mark.parametrize("path", MUTATIONS)
def test_mutation_without_token_is_refused(path: str) -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.post(path)
        assert resp.status == 403
        assert (await resp.json())["name"] == "CSRF_REJECTED"
        resp = await client.post(path, headers={"X-CSRF-Token": "0" * 64})
        assert resp.status == 403
        assert_untouched(e)

    run_scenario(engine(), scenario)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Referer": "http://evil.example/attack.html"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_cross_origin_is_refused_even_with_the_token(headers: dict[str, str]) -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.post(
            "/api/v1/processes/web/stop", headers={"X-CSRF-Token": token(), **headers}
        )
        assert resp.status == 403
        assert (await resp.json())["name"] == "CROSS_ORIGIN"
        assert_untouched(e)

    run_scenario(engine(), scenario)


def test_same_origin_headers_and_proxy_host_are_accepted() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        host = f"{client.host}:{client.port}"
        resp = await client.post(
            "/api/v1/processes/web/clear",
            headers={
                "X-CSRF-Token": token(),
                "Origin": f"http://{host}",
                "Referer": f"http://{host}/index.html",
                "Sec-Fetch-Site": "same-origin",
            },
        )
        assert resp.status == 200
        resp = await client.post(
            "/api/v1/processes/web/clear",
            headers={
                "X-CSRF-Token": token(),
                "Host": "internal",
                "Authorization": "Basic dXNlcjpwdw==",  # passed on by the proxy
                "X-Forwarded-Host": "proxy.example:8443",
                "Origin": "https://proxy.example:8443",
            },
        )
        assert resp.status == 200

    run_scenario(engine(), scenario, credentials=True)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/processes/web/stop",
        "/api/v1/groups/web/stop",
        "/api/v1/all/stop",
        "/api/v1/config/update",
        "/index.html?action=stop&processname=web",
        "/?action=stopall",
        "/index.html?action=restartall",
        "/index.html?action=clearlog&processname=web",
        "/index.html?action=restart&processname=web",
    ],
)
def test_get_never_changes_state(path: str) -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get(path)
        assert resp.status in (200, 405)
        assert_untouched(e)

    run_scenario(engine(), scenario)


def test_the_page_embeds_the_token_and_a_strict_csp() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/")
        page = await resp.text()
        assert f'<meta name="csrf-token" content="{token()}">' in page
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        body = await (await client.get("/api/v1/csrf")).json()
        assert body == {"token": token()}

    run_scenario(engine(), scenario)


def test_tokens_differ_between_daemons() -> None:
    from minder.http.webui.csrf import CsrfGuard

    assert CsrfGuard().token != CsrfGuard().token


@pytest.mark.parametrize("host", ["rebound.example:9001", "intranet", "evil.example"])
def test_dns_rebinding_is_refused_without_credentials(host: str) -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        headers = {"Host": host}
        resp = await client.get("/", headers=headers)
        assert resp.status == 403
        assert token() not in await resp.text()
        resp = await client.get("/api/v1/csrf", headers=headers)
        assert (resp.status, (await resp.json())["name"]) == (403, "HOST_REFUSED")
        resp = await client.get("/api/v1/events", headers=headers)
        assert resp.status == 403
        resp = await client.post(
            "/api/v1/processes/web/stop",
            headers={**headers, "X-CSRF-Token": token(), "Origin": f"http://{host}"},
        )
        assert resp.status == 403
        assert_untouched(e)

    run_scenario(engine(), scenario)


@pytest.mark.parametrize(
    "host", ["127.0.0.1:9001", "localhost:9001", "[::1]:9001", "app.localhost", "10.1.2.3"]
)
def test_addresses_and_localhost_are_served_without_credentials(host: str) -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/api/v1/csrf", headers={"Host": host})
        assert resp.status == 200
        resp = await client.get("/", headers={"Host": host})
        assert resp.status == 200

    run_scenario(engine(), scenario)


def test_a_name_is_fine_on_a_server_with_credentials() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        headers = {"Host": "supervisor.example", "Authorization": "Basic dXNlcjpwdw=="}
        resp = await client.get("/api/v1/csrf", headers=headers)
        assert resp.status == 200

    run_scenario(engine(), scenario, credentials=True)


def test_an_authorization_header_does_not_open_a_server_without_credentials() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        # a rebound page can add any header it likes, Authorization included
        headers = {"Host": "rebound.example", "Authorization": "Basic dXNlcjpwdw=="}
        resp = await client.get("/api/v1/csrf", headers=headers)
        assert (resp.status, (await resp.json())["name"]) == (403, "HOST_REFUSED")
        resp = await client.get("/", headers=headers)
        assert resp.status == 403 and token() not in await resp.text()

    run_scenario(engine(), scenario)
