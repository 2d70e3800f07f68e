"""Changing ``[supervisord] environment`` and updating: the new value reaches
the children, and the next reread sees nothing left to do.

supervisord marks every group changed when the global environment changes;
minder does the same, but the change must be applied exactly once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.daemons import run_daemon, wait_for

SHOW_FOO = "import os, time; print('FOO=' + os.environ.get('FOO', '-')); time.sleep(1000)"
PROGRAM = f"""
[program:envy]
command={sys.executable} -u -c "{SHOW_FOO}"
startsecs=0
stdout_logfile=%(here)s/envy.log
"""


def test_changed_global_environment_is_applied_once(tmp_path: Path) -> None:
    with run_daemon(tmp_path, PROGRAM) as d:
        conf = d.conf
        text = conf.read_text()
        conf.write_text(text.replace("[supervisord]\n", "[supervisord]\nenvironment=FOO=one\n", 1))
        # the daemon started before the line existed: start from a known state
        r = d.ctl("reread")
        assert r.stdout.strip() == "envy: changed", r.stdout
        assert d.ctl("update").returncode == 0
        log = tmp_path / "envy.log"
        wait_for(lambda: "FOO=one" in log.read_text(), what="the child to see FOO=one")

        conf.write_text(conf.read_text().replace("FOO=one", "FOO=two"))
        r = d.ctl("reread")
        assert r.stdout.strip() == "envy: changed", r.stdout
        r = d.ctl("update")
        assert r.returncode == 0, r.stdout + r.stderr
        wait_for(lambda: "FOO=two" in log.read_text(), what="the child to see FOO=two")
        r = d.ctl("reread")
        assert r.stdout.strip() == "No config updates to processes", r.stdout
