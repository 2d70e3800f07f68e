"""``startup systemd``: print a systemd unit that runs minderd on this config.

PM2's ``pm2 startup`` in minder's terms. The unit is built from what this
minderctl knows: the config it was given (``-c``, made absolute, or the one
found on supervisorctl's search path) and the minderd and minderctl installed
next to it, so the same virtualenv or pipx install runs both. Choices:

- ``ExecReload`` runs ``minderctl update``, which restarts only the programs
  whose config changed, where SIGHUP (Debian's supervisor.service) would
  restart every one of them.
- ``KillMode=mixed``: ``systemctl stop`` sends SIGTERM to minderd alone, which
  stops its programs in priority order with their own stop signals; whatever
  is still alive after ``TimeoutStopSec`` is then killed by systemd.
- ``Delegate=yes``: minderd may manage cgroups below its own.
- ``Documentation=`` names the man page when ``man`` can find it, and the
  operations guide on the project's site, so ``systemctl help`` goes somewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from minder.ctl.helptext import show_help
from minder.ctl.session import Exit, Session

DOCS_URL = "https://github.com/minderd/minderd/blob/main/docs/operations.md"


def _sibling(name: str) -> str:
    """The ``name`` command installed next to this minderctl, else the one on PATH."""
    here = os.path.dirname(os.path.abspath(sys.argv[0]))
    candidate = os.path.join(here, name)
    if os.access(candidate, os.X_OK):
        return candidate
    return shutil.which(name) or os.path.join("/usr/local/bin", name)


def _has_man_page(name: str) -> bool:
    try:
        found = subprocess.run(["man", "-w", name], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return found.returncode == 0


def _quote(word: str) -> str:
    """systemd's command-line quoting: double quotes when a word needs them."""
    if word and not any(c in word for c in ' \t"\\\'$%;'):
        return word
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def systemd_unit(minderd: str, minderctl: str, config: str, man_page: bool) -> str:
    docs = ("man:minderd(1) " if man_page else "") + DOCS_URL
    conf = _quote(config)
    return f"""\
# minderd.service, written by `minderctl startup systemd`.
# Install: minderctl -c {conf} startup systemd > /etc/systemd/system/minderd.service
#          systemctl daemon-reload && systemctl enable --now minderd
# Replacing Debian's supervisor package? systemctl disable --now supervisor first.
[Unit]
Description=minder process supervisor (supervisord-compatible)
Documentation={docs}
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
# -n: stay in the foreground; systemd does the daemonizing and the logging.
ExecStart={_quote(minderd)} -n -c {conf}
# Apply config changes: restart only the programs whose section changed.
ExecReload={_quote(minderctl)} -c {conf} update
# SIGTERM to minderd alone: it stops its programs in reverse priority order,
# each with its stopsignal and stopwaitsecs; leftovers are killed afterwards.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=120
# minderd may create cgroups below its own for its programs.
Delegate=yes
Restart=on-failure
RestartSec=5s
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
"""


def do_startup(s: Session, arg: str) -> None:
    if arg.split() != ["systemd"]:
        s.output("Error: startup needs a target: systemd")
        s.exitstatus = Exit.INVALID_ARGS
        show_help(s, "startup")
        return
    config = s.options.configfile
    if config is None:
        s.output("Error: no config file: give the one minderd should run with -c FILE")
        s.exitstatus = Exit.INVALID_ARGS
        return
    s.out.write(systemd_unit(
        _sibling("minderd"), _sibling("minderctl"), os.path.abspath(config),
        _has_man_page("minderd"),
    ))
