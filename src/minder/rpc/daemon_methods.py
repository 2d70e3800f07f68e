"""``supervisor.*`` methods about the daemon itself: state, main log, config.

Docstrings are the method help; their ``@param``/``@return`` tags are the
signatures ``system.methodSignature`` reports, matching supervisord's.
"""

from __future__ import annotations

from minder.engine.api import EngineAPI, LogRef
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.results import ConfigInfo, StateInfo
from minder.rpc.structs import as_text, config_info

API_VERSION = "3.0"
SUPERVISOR_VERSION = "4.3.0"


class DaemonMethods:
    def __init__(self, api: EngineAPI) -> None:
        self._api = api

    async def getAPIVersion(self) -> str:
        """Report the version of the XML-RPC API this daemon speaks.

        @return string version the API version, '3.0'
        """
        return API_VERSION

    async def getSupervisorVersion(self) -> str:
        """Report the supervisord release whose behaviour this daemon provides.

        @return string version a version string
        """
        return SUPERVISOR_VERSION

    async def getIdentification(self) -> str:
        """Report the identifier configured in [supervisord] (identifier=).

        @return string identifier the identifier
        """
        return self._api.identification()

    async def getState(self) -> StateInfo:
        """Report the daemon's state as a code and a name.

        @return struct state {'statecode': int, 'statename': string}
        """
        state = self._api.supervisor_state()
        return {"statecode": int(state), "statename": state.name}

    async def getPID(self) -> int:
        """Report the daemon's process id.

        @return int pid the pid
        """
        return self._api.pid()

    async def readLog(self, offset: int, length: int) -> str:
        """Read bytes of the main log. A negative offset with length 0 reads
        the last -offset bytes; length 0 reads to the end (capped).

        @param int offset offset to start reading from
        @param int length number of bytes to read (0: to the end)
        @return string log the bytes read, as text
        """
        return as_text(await self._api.read_log(LogRef(), offset, length))

    async def clearLog(self) -> bool:
        """Empty the main log (the file is removed and reopened).

        @return boolean result always true unless an error occurred
        """
        path = self._api.main_log_path()
        if not path:
            raise SupervisorFault(Faults.NO_FILE)
        try:
            self._api.clear_main_log()
        except SupervisorFault:
            raise
        except OSError as exc:
            raise SupervisorFault(Faults.FAILED, str(exc)) from None
        return True

    async def shutdown(self) -> bool:
        """Stop every process, then the daemon.

        @return boolean result always true unless an error occurred
        """
        await self._api.shutdown()
        return True

    async def restart(self) -> bool:
        """Stop every process, re-read the config and start again (same pid).

        @return boolean result always true unless an error occurred
        """
        await self._api.restart()
        return True

    async def reloadConfig(self) -> list[list[list[str]]]:
        """Re-read the config file and report which groups differ from the
        running ones. Running processes are not touched.

        @return array result [[added group names, changed, removed]]
        """
        diff = self._api.reload_config()
        return [[list(diff.added), list(diff.changed), list(diff.removed)]]

    async def addProcessGroup(self, name: str) -> bool:
        """Activate a group of the last-read config.

        @param string name name of the group to add
        @return boolean result true if the group was added
        """
        await self._api.add_group(name)
        return True

    async def removeProcessGroup(self, name: str) -> bool:
        """Deactivate a group whose processes are all stopped.

        @param string name name of the group to remove
        @return boolean result true if the group was removed
        """
        await self._api.remove_group(name)
        return True

    async def getAllConfigInfo(self) -> list[ConfigInfo]:
        """Describe every process of the last-read config.

        @return array result an array of process config structs
        """
        infos = [config_info(entry) for entry in self._api.config_entries()]
        infos.sort(key=lambda info: info["name"])
        return infos

    async def sendRemoteCommEvent(self, type_: str, data: str) -> bool:
        """Emit a REMOTE_COMMUNICATION event to the event listeners.

        @param string type the type key of the event
        @param string data the payload of the event
        @return boolean result always true unless an error occurred
        """
        self._api.send_remote_comm_event(str(type_), str(data))
        return True


ALIASES = {"getVersion": "getAPIVersion", "readMainLog": "readLog"}
