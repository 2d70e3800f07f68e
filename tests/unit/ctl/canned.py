"""A Session whose daemon is a table of canned answers (for formatting tests)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from minder.ctl.dispatch import run_command
from minder.ctl.options import CtlOptions
from minder.ctl.session import Session
from minder.ctl.wire import RpcFault

Answer = Any | Callable[..., Any]


class CannedSession(Session):
    def __init__(self, answers: Mapping[str, Answer], colour: bool = False) -> None:
        options = CtlOptions()
        options.serverurl = "unix:///tmp/canned.sock"
        super().__init__(options, out=io.StringIO(), colour=colour)
        self.answers = {"supervisor.getVersion": "3.0", **answers}
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def call(self, method: str, *params: object) -> Any:
        self.calls.append((method, params))
        if method not in self.answers:  # as supervisord answers a method it lacks
            raise RpcFault(1, f"UNKNOWN_METHOD: {method}")
        answer = self.answers[method]
        if callable(answer):
            answer = answer(*params)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def run(self, line: str) -> tuple[str, int]:
        run_command(self, line)
        assert isinstance(self.out, io.StringIO)
        return self.out.getvalue(), self.exitstatus


def info(name: str, state: str, group: str | None = None, pid: int = 0,
         description: str = "") -> dict[str, Any]:
    codes = {"STOPPED": 0, "STARTING": 10, "RUNNING": 20, "BACKOFF": 30, "STOPPING": 40,
             "EXITED": 100, "FATAL": 200, "UNKNOWN": 1000}
    return {"name": name, "group": group or name, "statename": state, "state": codes[state],
            "pid": pid, "description": description, "start": 1000 if pid else 0, "stop": 0,
            "now": 1065, "spawnerr": "", "exitstatus": 0, "logfile": "", "stdout_logfile": "",
            "stderr_logfile": ""}


def fault(code: int, text: str) -> RpcFault:
    return RpcFault(code, text)
