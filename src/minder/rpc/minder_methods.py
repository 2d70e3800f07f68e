"""``minder.*``: methods supervisord does not have.

They live in their own namespace because upstream clients compare the
``supervisor.*`` list against supervisord's; ``system.listMethods`` shows
them, and the SHUTDOWN_STATE guard covers them as it covers ``supervisor.*``.

``updateProcessGroup`` marshals the engine's own report of what its
in-place update did (engine/reload.py); nothing is inferred here.
"""

from __future__ import annotations

from minder.engine.api import EngineAPI, GroupUpdate
from minder.protocol.results import GroupUpdateInfo


def update_info(report: GroupUpdate) -> GroupUpdateInfo:
    return {
        "group": report.group,
        "action": report.action,
        "restarted": list(report.restarted),
        "added": list(report.added),
        "removed": list(report.removed),
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
        return update_info(await self._api.update_group(str(name)))
