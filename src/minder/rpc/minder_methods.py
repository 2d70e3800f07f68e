"""``minder.*``: methods supervisord does not have.

They live in their own namespace because upstream clients compare the
``supervisor.*`` list against supervisord's; ``system.listMethods`` shows
them, and the SHUTDOWN_STATE guard covers them as it covers ``supervisor.*``.

``update_group_report`` is shared with the JSON API: it runs the engine's
in-place update and says which processes it replaced. It tells them apart
by spec identity: the engine keeps an untouched process's runner (and so
its spec object), while a re-read config is a fresh set of spec objects, so
a process whose spec object changed was stopped and recreated. This keeps
the engine's rules (environment changes, group-level changes that recreate
the whole group) in one place instead of repeating them here.
"""

from __future__ import annotations

from minder.engine.api import EngineAPI
from minder.model.specs import ProcessSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.results import GroupUpdateInfo


def _specs(api: EngineAPI, group: str) -> dict[str, ProcessSpec]:
    try:
        return {snap.name: snap.spec for snap in api.group_snapshots(group)}
    except SupervisorFault as fault:
        if fault.code is not Faults.BAD_NAME:
            raise
        return {}


async def update_group_report(api: EngineAPI, group: str) -> GroupUpdateInfo:
    """Apply the last-read config to ``group`` in place and report what happened."""
    before = _specs(api, group)
    action = await api.update_group(group)
    after = _specs(api, group)
    return {
        "group": group,
        "action": action,
        "restarted": sorted(n for n in before.keys() & after.keys() if after[n] is not before[n]),
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
    }


class MinderMethods:
    def __init__(self, api: EngineAPI) -> None:
        self._api = api

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
        return await update_group_report(self._api, str(name))
