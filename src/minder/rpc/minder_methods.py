"""``minder.*``: methods supervisord does not have.

They live in their own namespace because upstream clients compare the
``supervisor.*`` list against supervisord's; ``system.listMethods`` shows
them, and the SHUTDOWN_STATE guard covers them as it covers ``supervisor.*``.

``updateProcessGroup`` marshals the engine's own report of what its
in-place update did (engine/reload.py); nothing is inferred here.
"""

from __future__ import annotations

from collections.abc import Callable

from minder.engine.api import EngineAPI, GroupUpdate
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import split_namespec
from minder.protocol.results import GroupUpdateInfo, ProcessVitals, RolloutResult
from minder.rpc.vitals import vitals_info


def update_info(report: GroupUpdate) -> GroupUpdateInfo:
    return {
        "group": report.group,
        "action": report.action,
        "restarted": list(report.restarted),
        "added": list(report.added),
        "removed": list(report.removed),
    }


class MinderMethods:
    def __init__(self, api: EngineAPI, all_info_json: Callable[[], str]) -> None:
        self._api = api
        self._all_info_json = all_info_json  # from getAllProcessInfo's own cache

    async def getAllProcessInfoJSON(self) -> str:
        """supervisor.getAllProcessInfo's array, as one JSON text (minder only).

        The same structs, in the same order, from the same code and cache;
        only the encoding differs (a character XML cannot carry is U+FFFD, as
        in the XML answer; ``&<>`` are JSON escapes: see rpc/infojson.py).
        Why: a 5,000-process answer is 5.4 MB of XML that a client must walk
        tag by tag, and 1.4 MB of JSON that Python's C
        decoder reads in a tenth of the time; minderctl asks for this first
        and falls back to getAllProcessInfo where the method is unknown.

        @return string a JSON array of process info structs
        """
        return self._all_info_json()

    async def updateProcessGroup(self, name: str) -> GroupUpdateInfo:
        """Apply the last-read config (supervisor.reloadConfig) to one group in
        place. In a changed group only the processes whose settings changed
        are stopped and recreated (and started again if autostart); the others
        keep running with their pid. A group new in the config is added, a
        group gone from it is stopped and removed. BAD_NAME if the group is
        neither active nor in the last-read config.

        @param string name name of the group to update
        @return struct result {'group', 'action' ('added', 'removed', 'updated'
            or 'unchanged'), and the process names 'restarted', 'added', 'removed'}
        """
        return update_info(await self._api.update_group(str(name)))

    async def getProcessVitals(self, name: str) -> ProcessVitals:
        """Readiness, health, restart counts, last exit reason, CPU and memory
        of one process (minder only; its supervisord state is unchanged).

        @param string name the process name (or group:name)
        @return struct vitals {'ready', 'ready_check', 'health_check', 'status',
            'health_failures', 'last_answer', 'restarts', 'health_restarts',
            'memory_restarts', 'last_exit', 'waiting', 'essential',
            'cpu_percent', 'rss', and 'group', 'name', 'statename'}
        """
        group, process = split_namespec(str(name))
        if process is None:
            raise SupervisorFault(Faults.BAD_NAME, str(name))
        return vitals_info(self._api, self._api.snapshot(group, process))

    async def getAllProcessVitals(self) -> list[ProcessVitals]:
        """getProcessVitals for every process, sorted like getAllProcessInfo.

        @return array of vitals structs
        """
        return [vitals_info(self._api, snap) for snap in self._api.snapshots()]

    async def rollingRestart(self, names: list[str], batch: int = 1) -> list[RolloutResult]:
        """Restart processes ``batch`` at a time, each batch ready (RUNNING, or
        past its ready_check) before the next; stop at the first failure and
        leave the rest running on their old instance (minder only).

        @param array names process names, group:name or group:* (a whole group, in start order)
        @param int batch how many to restart at once (default 1)
        @return array of structs {'group', 'name', 'outcome' ('restarted',
            'failed' or 'not reached'), 'detail'}
        """
        if not isinstance(names, list) or not names:
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS, "names must be a non-empty array")
        targets = [split_namespec(str(n)) for n in names]
        steps = await self._api.rolling_restart(targets, int(batch))
        out: list[RolloutResult] = []
        for step in steps:
            group, process = split_namespec(step.namespec)
            out.append({"group": group, "name": process or group, "outcome": step.outcome,
                        "detail": step.detail})
        return out
