"""engine/leafmaker.py: real ``mkdir`` helpers on real directories (cgroupfs aside)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minder.engine import leafmaker
from minder.engine.leafmaker import LeafMaker


def _reaped(maker: LeafMaker) -> list[int]:
    """The maker's helper pids; check them with ``_gone`` once it is done."""
    return [pid for pid, _ in maker._batches]


def _gone(pids: list[int]) -> bool:
    """Every helper reaped already: no zombie of ours left behind."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True


def test_every_path_is_made_and_said_made(tmp_path: Path) -> None:
    paths = [str(tmp_path / f"p:group:{i}") for i in range(40)]
    maker = LeafMaker(paths)
    pids = _reaped(maker)
    assert pids
    assert sorted(maker.made()) == sorted(paths)
    assert all(os.path.isdir(p) for p in paths)
    assert _gone(pids)


def test_a_failed_helper_claims_none_of_its_paths(tmp_path: Path) -> None:
    """One path it cannot make: the others may exist, but none is taken for made."""
    good = [str(tmp_path / "a"), str(tmp_path / "b")]
    bad = str(tmp_path / "missing-parent" / "c")
    maker = LeafMaker([*good, bad])
    pids = _reaped(maker)
    assert maker.made() == []
    assert _gone(pids)


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
    pids = _reaped(maker)
    assert len(pids) > 5
    assert sorted(maker.made()) == sorted(paths)
    assert _gone(pids)


def test_no_mkdir_program_means_nothing_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leafmaker, "MKDIR_PROGRAMS", (str(tmp_path / "no-such-mkdir"),))
    assert LeafMaker([str(tmp_path / "x")]).made() == []
    assert not (tmp_path / "x").exists()


def test_abandon_reaps_what_it_started(tmp_path: Path) -> None:
    maker = LeafMaker([str(tmp_path / f"d{i}") for i in range(5)])
    pids = _reaped(maker)
    maker.abandon()
    assert maker.made() == []
    assert _gone(pids)


def test_a_helper_reaped_elsewhere_claims_nothing(tmp_path: Path) -> None:
    maker = LeafMaker([str(tmp_path / "z")])
    pid = maker._batches[0][0]
    os.waitpid(pid, 0)  # someone else's waitpid (a reaper) got its status first
    assert maker.made() == []
