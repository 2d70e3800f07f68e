"""``essential=true``: when that program ends for good, the daemon ends too.

"For good" means the engine will not start it again by itself: EXITED with
no restart coming (``autorestart`` declined, or unexpected but not
restartable) or FATAL with no ``fatal_cooldown`` retry. An essential program
with ``autorestart=true`` is restarted as usual. The daemon then shuts down
in priority order and exits with the program's exit code, or 128 + the
signal that killed it (the shell's convention, which docker and kubernetes
show), so a container's status is its main program's.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from minder.model.events import DomainEvent, ProcessStateChanged
from minder.protocol.names import make_namespec
from minder.protocol.states import ProcessState

if TYPE_CHECKING:
    from minder.engine.supervisor import Supervisor


def exit_code(returncode: int | None) -> int:
    """Popen's returncode as a shell would report it (1 if it never ran)."""
    if returncode is None:
        return 1
    return 128 - returncode if returncode < 0 else returncode


def _describe(returncode: int | None) -> str:
    if returncode is None:
        return "it could not be started"
    if returncode < 0:
        try:
            return f"terminated by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"terminated by signal {-returncode}"
    return f"exit status {returncode}"


class EssentialExits:
    EVENTS = (ProcessStateChanged,)  # what on_event reads

    def __init__(self, supervisor: Supervisor) -> None:
        self._sup = supervisor

    def on_event(self, event: DomainEvent) -> None:
        if not isinstance(event, ProcessStateChanged) or event.to_state not in (
            ProcessState.EXITED,
            ProcessState.FATAL,
        ):
            return
        sup = self._sup
        runner = sup.find_runner(event.group, event.name)
        if (
            runner is None
            or not runner.spec.essential
            or not sup.accepting_restarts()
            or runner.state not in (ProcessState.EXITED, ProcessState.FATAL)
            or runner.restart_pending()
        ):
            return  # not essential, already stopping, or the engine restarts it
        code = exit_code(runner.returncode)
        sup.log.warn(
            f"essential program {make_namespec(event.group, event.name)} ended "
            f"({_describe(runner.returncode)}): shutting down, exit code {code}"
        )
        sup.request_shutdown(exit_code=code)
