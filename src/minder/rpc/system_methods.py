"""``system.*``: introspection and multicall over the fixed method table."""

from __future__ import annotations

from typing import Any

from minder.protocol.faults import Faults, SupervisorFault
from minder.rpc.table import RpcTable


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
        for call in calls:
            try:
                results.append(await self._one(call))
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
