"""Builds the complete XML-RPC method table against one EngineAPI.

This is the single place that decides which names exist on the wire:
``supervisor.*`` (daemon and process methods plus supervisord's aliases),
``system.*``, and minder's own additions under ``minder.*`` (never under
``supervisor.*``, whose list upstream clients compare with supervisord's).
The SHUTDOWN_STATE rule is a guard on the table so no method can forget it.
"""

from __future__ import annotations

from minder.engine.api import EngineAPI
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import SupervisorState
from minder.rpc import daemon_methods, process_methods
from minder.rpc.minder_methods import MinderMethods
from minder.rpc.system_methods import SystemMethods
from minder.rpc.table import RpcMethod, RpcTable, make_method, public_methods

# Answered even while the daemon shuts down, as supervisord does.
_ALLOWED_WHILE_STOPPING = frozenset({"supervisor.sendRemoteCommEvent"})


def _with_aliases(namespace: str, owner: object, aliases: dict[str, str]) -> list[RpcMethod]:
    table = public_methods(namespace, owner)
    for alias, target in aliases.items():
        table[f"{namespace}.{alias}"] = make_method(
            f"{namespace}.{alias}", table[f"{namespace}.{target}"].func
        )
    return list(table.values())


def build_table(api: EngineAPI) -> RpcTable:
    processes = process_methods.ProcessMethods(api)
    table = RpcTable(
        _with_aliases("supervisor", daemon_methods.DaemonMethods(api), daemon_methods.ALIASES)
        + _with_aliases("supervisor", processes, process_methods.ALIASES)
    )
    table.add(public_methods("minder", MinderMethods(api, processes.all_info_json)).values())
    table.add(public_methods("system", SystemMethods(table)).values())

    def refuse_while_stopping(name: str) -> None:
        if name.startswith("system.") or name in _ALLOWED_WHILE_STOPPING:
            return
        if api.supervisor_state() in (SupervisorState.SHUTDOWN, SupervisorState.RESTARTING):
            raise SupervisorFault(Faults.SHUTDOWN_STATE)

    table.add_guard(refuse_while_stopping)
    return table
