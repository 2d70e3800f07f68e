"""The release as a user and a packager get it: sdist, wheel, fresh venv, smoke test.

``python -m build`` makes the sdist and then the wheel *from that sdist*, so
a file the sdist forgets breaks the wheel here, not on a packager's machine.
The wheel goes into a new venv (not editable, not on this checkout's path),
and minderd and minderctl from that venv run a small config: status, the web
UI's ``/`` and one JSON API call, all over the real unix socket.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

import pytest

import minder
from tests.support.daemons import UnixStreamHTTPConnection, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(600)


@dataclass
class Release:
    sdist: Path
    wheel: Path
    venv: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def run(
    *argv: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "build", "--outdir", str(out), str(ROOT))
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    venv = tmp_path_factory.mktemp("venv") / "v"
    made = run(sys.executable, "-m", "venv", str(venv))
    assert made.returncode == 0, made.stderr
    installed = run(str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel))
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    yield Release(sdist, wheel, venv)


def test_the_distribution_is_named_minderd_with_the_package_version(release: Release) -> None:
    assert release.wheel.name == f"minderd-{minder.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(release.wheel) as wheel:
        metadata_name = f"minderd-{minder.__version__}.dist-info/METADATA"
        metadata = Parser().parsestr(wheel.read(metadata_name).decode())
        names = wheel.namelist()
    assert metadata["Name"] == "minderd"
    assert metadata["Version"] == minder.__version__
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier") or []
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Operating System :: POSIX :: Linux" in classifiers
    assert metadata.get_all("Project-URL")
    assert f"minderd-{minder.__version__}.dist-info/licenses/LICENSE" in names
    assert "minder/py.typed" in names
    assert any(n.startswith("minder/http/static/") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_the_sdist_carries_tests_docs_examples_and_licence(release: Release) -> None:
    with tarfile.open(release.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for required in (
        "LICENSE", "README.md", "CHANGELOG.md", "SECURITY.md", "CONTRIBUTING.md", "Makefile",
        "pyproject.toml", "src/minder/__main__.py", "tests/conftest.py",
        "tests/install/test_wheel.py", "docs/configuration.md", "examples/demo/minder.conf",
        "tools/install-system-deps.sh",
    ):
        assert required in names, f"{required} is missing from {release.sdist.name}"
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_the_installed_commands_run_from_the_venv_not_the_checkout(
    release: Release, tmp_path: Path
) -> None:
    where = run(release.bin("python"), "-c", "import minder; print(minder.__file__)", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(str(release.venv)), where.stdout
    version = run(release.bin("minderd"), "--version", cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, "4.3.0\n")
    module = run(release.bin("python"), "-m", "minder", "--version", cwd=tmp_path)
    assert (module.returncode, module.stdout) == (0, "4.3.0\n")
    verbose = run(release.bin("minderd"), "--version", "--verbose", cwd=tmp_path)
    assert f"minder {minder.__version__} " in verbose.stdout
    ctl = run(release.bin("minderctl"), "--version", cwd=tmp_path)
    assert ctl.stdout.startswith(f"minderctl {minder.__version__} ")
    ctl_module = run(release.bin("python"), "-m", "minder.ctl", "--version", cwd=tmp_path)
    assert ctl_module.stdout == ctl.stdout
    for page in ("man1/minderd.1", "man1/minderctl.1", "man5/minder.conf.5"):
        assert (release.venv / "share" / "man" / page).is_file(), page


def test_smoke_minderd_minderctl_web_ui_and_json_api(release: Release, tmp_path: Path) -> None:
    sock = tmp_path / "minder.sock"
    conf = tmp_path / "minder.conf"
    conf.write_text(textwrap.dedent(f"""\
        [supervisord]
        logfile={tmp_path}/minderd.log
        pidfile={tmp_path}/minderd.pid
        childlogdir={tmp_path}

        [unix_http_server]
        file={sock}

        [supervisorctl]
        serverurl=unix://{sock}

        [rpcinterface:supervisor]
        supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

        [program:sleeper]
        command=sleep 600
        startsecs=0
        """))
    daemon = subprocess.Popen(
        [release.bin("minderd"), "-n", "-c", str(conf)], cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        def sleeper_running() -> bool:
            assert daemon.poll() is None, daemon.stderr.read() if daemon.stderr else ""
            status = run(release.bin("minderctl"), "-c", str(conf), "status", cwd=tmp_path)
            return status.returncode == 0 and "RUNNING" in status.stdout

        wait_for(sleeper_running, timeout=30, what="minderctl status to show sleeper RUNNING")

        page = _get(sock, "/")
        assert page.status == 200
        assert page.getheader("Content-Type", "").startswith("text/html")
        assert b"<html" in page.body.lower()

        listing = _get(sock, "/api/v1/processes")
        assert listing.status == 200
        processes = json.loads(listing.body)
        assert [(p["name"], p["statename"]) for p in processes] == [
            ("sleeper", "RUNNING")
        ]

        down = run(release.bin("minderctl"), "-c", str(conf), "shutdown", cwd=tmp_path)
        assert down.returncode == 0, down.stdout + down.stderr
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(10)
        if daemon.stderr:
            daemon.stderr.close()


@dataclass
class _Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def getheader(self, name: str, default: str) -> str:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default


def _get(sock: Path, path: str) -> _Answer:
    connection = UnixStreamHTTPConnection(str(sock))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return _Answer(response.status, response.getheaders(), response.read())
    finally:
        connection.close()
