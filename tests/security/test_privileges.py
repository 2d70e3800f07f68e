"""A program configured to run as another user must never get root's powers.

* item 11: ``user=%(ENV_X)s`` with ``X=" 0"`` must not become uid 0;
* item 10: ``directory=`` is entered as the program's user, so a
  ``user=nobody`` program cannot start inside a directory nobody may enter.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from tests.support.daemons import run_daemon, wait_for


def test_user_padded_by_expansion_is_refused_not_root(
    open_dir: Path, nobody: pwd.struct_passwd
) -> None:
    marker = open_dir / "uid-of-program"
    body = f"""
        [program:padded]
        command=/bin/sh -c "id -u > {marker}; exec sleep 1000"
        user=%(ENV_MINDER_TEST_USER)s
        startsecs=0
        """
    with run_daemon(
        open_dir, body, env={"MINDER_TEST_USER": " 0"}, wait_ready=False
    ) as daemon:
        try:
            code = daemon.proc.wait(20)
        except subprocess.TimeoutExpired:
            code = None
        ran_as = marker.read_text().strip() if marker.exists() else None
        assert ran_as is None, f"the program ran as uid {ran_as}"
        assert code is not None and code != 0, "the daemon accepted user=' 0'"
        assert daemon.proc.stderr is not None
        err = daemon.proc.stderr.read().decode()
        assert "supervisord.conf:" in err and "user" in err and "' 0'" in err


def test_directory_is_entered_as_the_program_user(
    open_dir: Path, nobody: pwd.struct_passwd
) -> None:
    private = open_dir / "root-only"
    private.mkdir(mode=0o700)
    inside = private / "app"
    inside.mkdir(mode=0o755)
    (inside / "secret.txt").write_text("only root may read this\n")
    (inside / "secret.txt").chmod(0o644)  # readable, but only from inside root-only/
    allowed = open_dir / "public"
    allowed.mkdir(mode=0o755)
    (open_dir / "via-link").symlink_to(allowed)
    body = f"""
        [program:allowed]
        command=/bin/pwd
        user=nobody
        directory={open_dir}/via-link/../public/.
        startsecs=0
        autorestart=false

        [program:sneaky]
        command=/bin/cat secret.txt
        user=nobody
        directory={inside}
        startsecs=0
        autorestart=false
        startretries=0
        """
    with run_daemon(open_dir, body) as daemon, daemon.rpc() as proxy:
        def settled() -> dict[str, object] | None:
            info: dict[str, object] = proxy.supervisor.getProcessInfo("sneaky")
            return info if info["statename"] in ("FATAL", "EXITED", "BACKOFF") else None

        info = wait_for(settled, timeout=20, what="sneaky to finish")
        wait_for(
            lambda: proxy.supervisor.getProcessInfo("allowed")["statename"] == "EXITED",
            what="allowed to run",
        )
        assert proxy.supervisor.readProcessStdoutLog("allowed", 0, 0) == f"{allowed}\n"
        out = proxy.supervisor.readProcessStdoutLog("sneaky", 0, 0)
        assert "only root may read this" not in out
        assert info["statename"] == "FATAL"
        assert "couldn't chdir" in str(info["spawnerr"])
        assert "EACCES" in str(info["spawnerr"])
    # nobody really cannot get there on its own: the refusal matches the kernel's.
    check = subprocess.run(
        ["/bin/cat", str(inside / "secret.txt")], user=nobody.pw_uid, capture_output=True
    )
    assert check.returncode != 0
    assert os.path.exists(inside / "secret.txt")
