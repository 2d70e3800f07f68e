"""[group:x] membership and name collisions (reference §1.9)."""

from __future__ import annotations

from collections.abc import Callable

from minder.config import LoadResult
from minder.model.specs import GroupKind


def test_members_join_the_group_in_programs_order(load_text: Callable[..., LoadResult]) -> None:
    root = load_text("""
        [group:web]
        programs=zeta,alpha
        priority=3
        [program:alpha]
        command=/bin/true
        process_name=%(program_name)s_%(process_num)d
        numprocs=2
        [program:zeta]
        command=/bin/echo %(group_name)s
        [program:alone]
        command=/bin/true
        """).root
    assert [g.name for g in root.groups] == ["web", "alone"]
    web = root.groups[0]
    assert (web.kind, web.priority) == (GroupKind.HETEROGENEOUS, 3)
    assert [p.name for p in web.processes] == ["zeta", "alpha_0", "alpha_1"]
    assert web.processes[0].command == "/bin/echo web"  # group_name is the group's


def test_group_without_programs_is_empty(load_text: Callable[..., LoadResult]) -> None:
    (group,) = load_text("[group:g]\n").root.groups
    assert group.processes == ()


def test_unknown_member(errors_of: Callable[..., list[str]]) -> None:
    assert errors_of("[group:g]\nprograms=web\n[program:wbe]\ncommand=/bin/true\n") == [
        "supervisord.conf:6: error: [group:g] names unknown program or fcgi-program web "
        "(did you mean 'wbe'?)"
    ]


def test_ambiguous_member(errors_of: Callable[..., list[str]]) -> None:
    errors = errors_of("""
        [group:g]
        programs=x
        [program:x]
        command=/bin/true
        [fcgi-program:x]
        command=/bin/true
        socket=tcp://127.0.0.1:9000
        """)
    assert any("names ambiguous program x" in e for e in errors), errors


def test_group_shadowing_a_program_is_an_error(errors_of: Callable[..., list[str]]) -> None:
    errors = errors_of("""
        [program:foo]
        command=/bin/true
        [group:foo]
        programs=bar
        [program:bar]
        command=/bin/true
        """)
    assert errors == [
        "supervisord.conf:5: error: [program:foo] group name 'foo' is also used by [group:foo] "
        "(rename one of them, or list the program in the group's programs=) — supervisord "
        "silently drops one of them"
    ]


def test_group_named_like_its_member_is_fine(load_text: Callable[..., LoadResult]) -> None:
    text = "[group:foo]\nprograms=foo\n[program:foo]\ncommand=/bin/true\n"
    (group,) = load_text(text).root.groups
    assert (group.name, group.kind) == ("foo", GroupKind.HETEROGENEOUS)


def test_duplicate_process_names_in_a_group(errors_of: Callable[..., list[str]]) -> None:
    errors = errors_of("""
        [group:g]
        programs=a,b
        [program:a]
        command=/bin/true
        process_name=worker
        [program:b]
        command=/bin/true
        process_name=worker
        """)
    assert errors == [
        "supervisord.conf:10: error: [program:b] process name 'worker' is used twice in group "
        "'g' (also by [program:a]) (give each program a distinct process_name) — supervisord "
        "silently keeps only the last one"
    ]


def test_program_in_two_groups_warns(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("""
        [group:a]
        programs=p
        [group:b]
        programs=p
        [program:p]
        command=/bin/true
        """)
    assert [str(d) for d in result.diagnostics] == [
        "supervisord.conf:8: warning: [group:b] [program:p] is also a member of [group:a] "
        "(list each program in one group only) — its processes run once in each group"
    ]
