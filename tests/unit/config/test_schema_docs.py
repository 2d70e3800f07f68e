"""docs/configuration.md is generated from the schema and must match it."""

from __future__ import annotations

from pathlib import Path

from minder.config.schema import SECTION_KINDS, kind_of, markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_committed_reference_matches_the_schema() -> None:
    assert DOC.read_text() == markdown(), (
        "docs/configuration.md is stale: run "
        "`python -m minder.config.schema --markdown > docs/configuration.md`"
    )


def test_every_key_has_a_default_type_and_description() -> None:
    for kind in SECTION_KINDS:
        assert kind.keys, kind.kind
        for key in kind.keys:
            assert key.default and key.type and key.description, (kind.kind, key.name)


def test_section_matching_follows_supervisord() -> None:
    assert kind_of("unix_http_server:extra") is not None
    assert kind_of("inet_http_serverX") is not None  # prefix match, as supervisord
    assert kind_of("program:x") is not None
    assert kind_of("program") is None
    assert kind_of("Program:x") is None
    assert kind_of("programs:x") is None
