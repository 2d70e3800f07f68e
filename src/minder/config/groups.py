"""Assemble process groups from the program-like sections (reference §1.9).

A ``[group:x]`` takes its members' processes (in ``programs=`` order) and
the members stop being groups of their own; every other program,
fcgi-program and eventlistener is a group named after itself. Where
supervisord lets one name silently shadow another (a group and a program of
the same name, two processes of one name in a group) minder reports an
error instead, and it checks minder's ``depends_on`` references.
"""

from __future__ import annotations

from collections.abc import Mapping

from minder.config import values
from minder.config.context import LoadContext, SectionReader
from minder.config.diagnostics import ValueProblem
from minder.config.pools import read_fcgi_socket, read_listener_pool
from minder.config.programs import read_processes
from minder.config.suggest import did_you_mean
from minder.model.specs import GroupKind, GroupSpec, ProcessSpec

PROCESS_KINDS = ("program", "fcgi-program", "eventlistener")


def build_groups(ctx: LoadContext, env: Mapping[str, str | int]) -> tuple[GroupSpec, ...]:
    sections = {kind: _sections_of(ctx, kind) for kind in (*PROCESS_KINDS, "group")}
    members: dict[str, str] = {}  # program section -> the [group:x] that claimed it
    groups: list[GroupSpec] = []

    for section, name in sections["group"].items():
        r = SectionReader(ctx, section)
        names = {"here": "", **env}
        processes: list[ProcessSpec] = []
        no_members: list[str] = []
        for member in r.get("programs", values.list_of_strings, no_members, names):
            member_section = _member_section(r, member, sections)
            if member_section is None:
                continue
            claimed = members.setdefault(member_section, section)
            if claimed != section:
                r.warning("programs", f"[{member_section}] is also a member of [{claimed}]",
                          "list each program in one group only",
                          "its processes run once in each group")
            processes.extend(read_processes(ctx, member_section, name, env))
            _refuse_member_update_keys(SectionReader(ctx, member_section), section)
        strategy, batch = _read_update_keys(r, names)
        groups.append(GroupSpec(
            name=name, kind=GroupKind.HETEROGENEOUS,
            priority=r.get("priority", values.integer, 999, names),
            processes=tuple(processes), update_strategy=strategy, update_batch=batch,
            source=r.provenance,
        ))

    for kind in PROCESS_KINDS:
        for section, name in sections[kind].items():
            if section in members:
                continue
            groups.append(_own_group(ctx, kind, section, name, env))

    _check_unique_names(ctx, groups)
    _check_depends_on(ctx, groups, sections)
    return tuple(sorted(groups, key=lambda g: (g.priority, g.name)))


def _sections_of(ctx: LoadContext, kind: str) -> dict[str, str]:
    """``{section: name}`` for every valid-named section of one kind, in file order."""
    found: dict[str, str] = {}
    for section in ctx.doc.sections:
        prefix, sep, name = section.partition(":")
        if prefix != kind or not sep:
            continue
        try:
            found[section] = values.process_or_group_name(name)
        except ValueProblem as problem:
            sect = ctx.doc.sections[section]
            ctx.collector.problem("error", (sect.file, sect.line), section, None, problem)
    return found


def _member_section(
    r: SectionReader, member: str, sections: dict[str, dict[str, str]]
) -> str | None:
    candidates = [f"{kind}:{member}" for kind in ("program", "fcgi-program")
                  if f"{kind}:{member}" in sections[kind]]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        r.error("programs", f"names ambiguous program {member}: "
                f"both [program:{member}] and [fcgi-program:{member}] exist",
                "rename one of them")
        return None
    known = [*sections["program"].values(), *sections["fcgi-program"].values()]
    r.error("programs", f"names unknown program or fcgi-program {member}",
            did_you_mean(member, known) or "define it with a [program:...] section")
    return None


UPDATE_STRATEGIES = ("restart", "rolling")


def update_strategy(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in UPDATE_STRATEGIES:
        raise ValueProblem(f"unknown update_strategy {text!r}",
                           did_you_mean(lowered, UPDATE_STRATEGIES) or "use restart or rolling")
    return lowered


def update_batch(text: str) -> int:
    value = values.integer(text)
    if value < 1:
        raise ValueProblem(f"update_batch must be at least 1, not {value}",
                           "write the number of processes replaced at once, e.g. 1")
    return value


def _read_update_keys(r: SectionReader, names: Mapping[str, str | int]) -> tuple[str, int]:
    """minder's update_strategy / update_batch of one group's section."""
    strategy = r.get("update_strategy", update_strategy, "restart", names)
    batch = r.get("update_batch", update_batch, 1, names)
    if r.has("update_batch") and strategy != "rolling":
        r.warning("update_batch", "update_batch is ignored without update_strategy=rolling",
                  "add update_strategy=rolling or remove update_batch")
    return strategy, batch


def _refuse_member_update_keys(r: SectionReader, group_section: str) -> None:
    for key in ("update_strategy", "update_batch"):
        if r.has(key):
            r.warning(key, f"{key} of a [{group_section}] member is ignored",
                      f"set {key} in [{group_section}]",
                      "update replaces a group's processes by the group's setting")


def _own_group(
    ctx: LoadContext, kind: str, section: str, name: str, env: Mapping[str, str | int]
) -> GroupSpec:
    processes = read_processes(ctx, section, name, env)
    reader = SectionReader(ctx, section)
    source = reader.provenance
    priority = processes[0].priority if processes else 999
    if kind == "eventlistener":
        pool, pool_priority = read_listener_pool(ctx, section, env)
        return GroupSpec(name, GroupKind.EVENTLISTENER, pool_priority, processes,
                         listener=pool, source=source)
    if kind == "fcgi-program":
        first = processes[0] if processes else None
        ids = None
        if first is not None and first.uid is not None and first.gid is not None:
            ids = (first.uid, first.gid)
        socket = read_fcgi_socket(ctx, section, env, ids)
        strategy, batch = _read_update_keys(reader, {"here": "", **env})
        return GroupSpec(name, GroupKind.FCGI, priority, processes, fcgi=socket,
                         update_strategy=strategy, update_batch=batch, source=source)
    strategy, batch = _read_update_keys(reader, {"here": "", **env})
    return GroupSpec(name, GroupKind.PROGRAM, priority, processes,
                     update_strategy=strategy, update_batch=batch, source=source)


def _section_of(group: GroupSpec) -> str:
    kind = {GroupKind.HETEROGENEOUS: "group", GroupKind.PROGRAM: "program",
            GroupKind.FCGI: "fcgi-program", GroupKind.EVENTLISTENER: "eventlistener"}[group.kind]
    return f"{kind}:{group.name}"


def _check_unique_names(ctx: LoadContext, groups: list[GroupSpec]) -> None:
    seen: dict[str, GroupSpec] = {}
    for group in groups:
        first = seen.setdefault(group.name, group)
        if first is not group:
            where = group.source or first.source
            ctx.collector.add(
                "error", where.file if where else "", where.line if where else None,
                _section_of(group), None,
                f"group name {group.name!r} is also used by [{_section_of(first)}]",
                "rename one of them, or list the program in the group's programs=",
                "supervisord silently drops one of them",
            )
        names: dict[str, ProcessSpec] = {}
        for process in group.processes:
            earlier = names.setdefault(process.name, process)
            if earlier is not process:
                src = process.source
                ctx.collector.add(
                    "error", src.file if src else "", src.line if src else None,
                    f"program:{process.program_name}", "process_name",
                    f"process name {process.name!r} is used twice in group {group.name!r} "
                    f"(also by [program:{earlier.program_name}])",
                    "give each program a distinct process_name",
                    "supervisord silently keeps only the last one",
                )


def _check_depends_on(
    ctx: LoadContext, groups: list[GroupSpec], sections: dict[str, dict[str, str]]
) -> None:
    programs: dict[str, tuple[str, ...]] = {}
    section_by_program: dict[str, str] = {}
    for kind in PROCESS_KINDS:
        for section, name in sections[kind].items():
            section_by_program.setdefault(name, section)
    for group in groups:
        for process in group.processes:
            programs.setdefault(process.program_name, process.depends_on)
    for program, needs in programs.items():
        own = section_by_program.get(program)
        if own is None:
            continue
        r = SectionReader(ctx, own)
        for need in needs:
            if need not in programs:
                r.error("depends_on", f"depends_on names unknown program {need!r}",
                        did_you_mean(need, programs) or "name a [program:...] defined here")
            elif need == program:
                r.error("depends_on", f"{program} depends on itself", "remove it from depends_on")
    cycle = _find_cycle(programs)
    if cycle:
        r = SectionReader(ctx, section_by_program[cycle[0]])
        r.error("depends_on", "depends_on forms a cycle: " + " -> ".join(cycle),
                "remove one of these dependencies")


def _find_cycle(graph: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if nxt == node or nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None
