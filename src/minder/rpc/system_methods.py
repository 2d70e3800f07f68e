"""``system.*``: introspection and multicall over the fixed method table.

One multicall is one response, so the reply cap of a single log read
(``MAX_LOG_REPLY``) applies to the whole of it: without that, a hundred
``readProcessStdoutLog`` calls in one multicall would each stay under the cap
while the reply grew to hundreds of MB. Every call still runs, in order; a
result that would take the reply past the cap is replaced by a FAILED fault
saying so, and its data is dropped at once (a little room is kept for small
results, so the calls after the big reads still answer normally).
"""

from __future__ import annotations

from typing import Any

from minder.engine.api import MAX_LOG_REPLY
from minder.protocol.faults import Faults, SupervisorFault
from minder.rpc.table import RpcTable

MAX_MULTICALL_REPLY = MAX_LOG_REPLY
# Kept back from big results so that small ones (a pid, a state change's
# True) still get through after the log reads have used the rest.
SMALL_RESULT = 4096
SMALL_RESERVE = 1024 * 1024


def reply_size(value: Any) -> int:
    """About how many bytes ``value`` adds to an XML-RPC reply (its text and
    bytes exactly, a fixed allowance for every other value)."""
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "replace"))
    if isinstance(value, bytes | bytearray):
        return len(value) * 4 // 3  # base64
    if isinstance(value, dict):
        return sum(len(str(k)) + reply_size(v) + 32 for k, v in value.items())
    if isinstance(value, list | tuple):
        return sum(reply_size(v) + 16 for v in value)
    return 32


class SystemMethods:
    def __init__(self, table: RpcTable) -> None:
        self._table = table

    async def listMethods(self) -> list[str]:
        """List the name of every method this server offers, aliases included.

        @return array result an array of method names
        """
        return sorted(self._table.methods)

    async def methodHelp(self, name: str) -> str:
        """The help text of a method.

        @param string name the name of the method
        @return string result the help text
        """
        method = self._table.methods.get(str(name))
        if method is None:
            raise SupervisorFault(Faults.SIGNATURE_UNSUPPORTED)
        return method.help

    async def methodSignature(self, name: str) -> list[str]:
        """The signature of a method: the return type, then the parameter types.

        @param string name the name of the method
        @return array result [return type, param types...]
        """
        method = self._table.methods.get(str(name))
        if method is None or not method.signature:
            raise SupervisorFault(Faults.SIGNATURE_UNSUPPORTED)
        return list(method.signature)

    async def multicall(self, calls: list[Any]) -> list[Any]:
        """Run several calls in one round trip, in order. Each call is a struct
        {'methodName': string, 'params': array}; each result is the bare value
        (as supervisord returns it) or a {'faultCode', 'faultString'} struct.

        @param array calls an array of call structs
        @return array result an array of results
        """
        if not isinstance(calls, list):
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS)
        results: list[Any] = []
        budget = MAX_MULTICALL_REPLY
        for call in calls:
            try:
                result = await self._one(call)
                size = reply_size(result)
                if size > (budget if size <= SMALL_RESULT else budget - SMALL_RESERVE):
                    del result
                    raise SupervisorFault(
                        Faults.FAILED,
                        f"this result ({size} bytes) would take the multicall reply past "
                        f"{MAX_MULTICALL_REPLY} bytes; make this call in another request",
                    )
                budget -= size
                results.append(result)
            except SupervisorFault as fault:
                results.append({"faultCode": int(fault.code), "faultString": fault.text})
            except Exception as exc:  # one broken call must not lose the others
                text = SupervisorFault(Faults.FAILED, str(exc) or type(exc).__name__).text
                results.append({"faultCode": int(Faults.FAILED), "faultString": text})
        return results

    async def _one(self, call: Any) -> Any:
        if not isinstance(call, dict):
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS, "Call is not a struct")
        name = call.get("methodName")
        if not name or not isinstance(name, str):
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS, "No methodName")
        if name == "system.multicall":
            raise SupervisorFault(
                Faults.INCORRECT_PARAMETERS, "Recursive system.multicall forbidden"
            )
        params = call.get("params", [])
        if not isinstance(params, list | tuple):
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS, "params is not an array")
        return await self._table.call(name, tuple(params))
