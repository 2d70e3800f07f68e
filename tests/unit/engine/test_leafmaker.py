"""engine/leafmaker.py: real ``mkdir`` helpers on real directories (cgroupfs aside)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minder.engine import leafmaker
from minder.engine.leafmaker import LeafMaker
from tests.support.reaping import all_reaped


def test_every_path_is_made_and_said_made(tmp_path: Path) -> None:
    paths = [str(tmp_path / f"p:group:{i}") for i in range(40)]
    maker = LeafMaker(paths)
    pids = maker.pids()
    assert pids
    assert sorted(maker.made()) == sorted(paths)
    assert all(os.path.isdir(p) for p in paths)
    assert all_reaped(pids)


def test_a_failed_helper_claims_none_of_its_paths(tmp_path: Path) -> None:
    """One path it cannot make: the others may exist, but none is taken for made."""
    good = [str(tmp_path / "a"), str(tmp_path / "b")]
    bad = str(tmp_path / "missing-parent" / "c")
    maker = LeafMaker([*good, bad])
    pids = maker.pids()
    assert maker.made() == []
    assert all_reaped(pids)


def test_a_name_like_an_option_is_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert LeafMaker(["-p"]).made() == ["-p"]
    assert (tmp_path / "-p").is_dir()


def test_long_lists_are_split_among_helpers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leafmaker, "ARGV_BYTES", 200)
    paths = [str(tmp_path / f"leaf-{i:04d}") for i in range(60)]
    maker = LeafMaker(paths)
    pids = maker.pids()
    assert len(pids) > 5
    assert sorted(maker.made()) == sorted(paths)
    assert all_reaped(pids)


def test_no_mkdir_program_means_nothing_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leafmaker, "MKDIR_PROGRAMS", (str(tmp_path / "no-such-mkdir"),))
    assert LeafMaker([str(tmp_path / "x")]).made() == []
    assert not (tmp_path / "x").exists()


def test_abandon_reaps_what_it_started(tmp_path: Path) -> None:
    maker = LeafMaker([str(tmp_path / f"d{i}") for i in range(5)])
    pids = maker.pids()
    maker.abandon()
    assert maker.made() == []
    assert all_reaped(pids)


def test_a_helper_reaped_elsewhere_claims_nothing(tmp_path: Path) -> None:
    maker = LeafMaker([str(tmp_path / "z")])
    pid = maker.pids()[0]
    os.waitpid(pid, 0)  # someone else's waitpid (a reaper) got its status first
    assert maker.made() == []
