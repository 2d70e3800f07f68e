"""``minderctl``'s console script ends a one-shot command with ``os._exit``, losing nothing.

Each case runs the entry point in a fresh interpreter. A module-level
object whose ``__del__`` prints at interpreter teardown tells which way the
process ended: the fast way skips the teardown, the normal one runs it.
"""

from __future__ import annotations

import subprocess
import sys

TEARDOWN_PROBE = """
import sys
class Probe:
    def __del__(self):
        sys.__stdout__.write("teardown ran\\n")
probe = Probe()
"""


def run_entry(body: str, *argv: str) -> subprocess.CompletedProcess[str]:
    code = (
        TEARDOWN_PROBE
        + body
        + f"\nsys.argv = ['minderctl', *{list(argv)!r}]\n"
        + "from minder.ctl.main import run\nrun()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_a_one_shot_command_ends_at_once_with_its_output_and_status() -> None:
    ok = run_entry("", "--version")
    assert ok.returncode == 0
    assert ok.stdout.startswith("minderctl ") and "teardown ran" not in ok.stdout
    bad = run_entry("", "--no-such-option")
    assert bad.returncode == 2 and "Error:" in bad.stderr
    assert "teardown ran" not in bad.stdout


def test_registered_exit_work_still_runs() -> None:
    """The shell saves its history with atexit: then the normal exit is taken."""
    result = run_entry("import atexit\natexit.register(lambda: print('history saved'))", "-v")
    assert result.returncode == 0
    assert "history saved" in result.stdout and "teardown ran" in result.stdout


def test_a_running_thread_is_waited_for() -> None:
    body = (
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()"
    )
    result = run_entry(body, "-v")
    assert result.returncode == 0 and "thread done" in result.stdout


def test_big_output_into_a_pipe_is_all_there() -> None:
    """Output buffered but not yet written when main returns is flushed first."""
    body = "import minder.ctl.main as m\nm.main = lambda: (print('x' * 99999, end='|'), 3)[1]"
    result = run_entry(body)
    assert result.returncode == 3
    assert result.stdout == "x" * 99999 + "|"
