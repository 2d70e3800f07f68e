"""follow() sees appended bytes, rotation and truncation, woken by the writer."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from minder.engine.logs.childlog import ChildLog
from minder.engine.logs.follow import TRUNCATED_NOTICE, LogFollower, follow
from minder.engine.logs.mainlog import MainLog

DEADLINE = 10.0


async def next_chunk(follower: LogFollower) -> bytes:
    return await asyncio.wait_for(follower.__anext__(), DEADLINE)


async def collect_until(follower: LogFollower, wanted: bytes) -> bytes:
    """Read chunks until ``wanted`` has been seen; returns everything read."""
    seen = b""
    while wanted not in seen:
        seen += await next_chunk(follower)
    return seen


def ignore_errors(_message: str) -> None:
    pass


def test_starts_with_the_last_kilobyte_then_follows_writes(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"a" * 1000 + b"b" * 1024)
    log = ChildLog(str(path), 0, 0, None, ignore_errors)

    async def scenario() -> None:
        follower = follow(str(path), subscribe=log.add_watcher)
        try:
            assert await next_chunk(follower) == b"b" * 1024
            log.write(b"new line\n")
            assert await next_chunk(follower) == b"new line\n"
        finally:
            follower.close()

    asyncio.run(scenario())
    log.close()


def test_rotation_drains_the_old_file_then_switches(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 20, 1, None, ignore_errors)

    async def scenario() -> None:
        follower = follow(str(path), subscribe=log.add_watcher)
        try:
            log.write(b"first 12345\n")
            assert await next_chunk(follower) == b"first 12345\n"
            log.write(b"rotates now\n")  # reaches 20 bytes: rotated after the write
            log.write(b"fresh\n")
            seen = await collect_until(follower, b"fresh\n")
            assert seen == b"rotates now\nfresh\n"
        finally:
            follower.close()

    asyncio.run(scenario())
    log.close()


def test_truncation_is_announced(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 0, 0, None, ignore_errors)

    async def scenario() -> None:
        log.write(b"0123456789" * 5)
        follower = follow(str(path), subscribe=log.add_watcher)
        try:
            assert await next_chunk(follower) == b"0123456789" * 5
            os.truncate(path, 0)  # an outside truncation, noticed by the safety poll
            log.write(b"x\n")
            seen = await collect_until(follower, b"x\n")
            assert seen == TRUNCATED_NOTICE + b"x\n"
        finally:
            follower.close()

    asyncio.run(scenario())
    log.close()


def test_polls_files_written_by_someone_else(tmp_path: Path) -> None:
    path = tmp_path / "other.log"
    path.write_bytes(b"")

    async def scenario() -> None:
        follower = follow(str(path), poll_interval=0.05)
        try:
            with open(path, "ab") as handle:
                handle.write(b"external\n")
            assert await next_chunk(follower) == b"external\n"
        finally:
            await follower.aclose()

    asyncio.run(scenario())


def test_follows_the_main_log_through_its_listeners(tmp_path: Path) -> None:
    path = tmp_path / "daemon.log"
    main = MainLog(str(path), 0, 0, "info", False)

    async def scenario() -> None:
        follower = follow(str(path), subscribe=main.add_watcher)
        try:
            main.info("hello follower")
            assert (await next_chunk(follower)).endswith(b" INFO hello follower\n")
        finally:
            follower.close()

    asyncio.run(scenario())
    main.close()


def test_a_missing_file_fails_before_streaming(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        follow(str(tmp_path / "missing.log"))


def test_closing_ends_iteration(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"")

    async def scenario() -> None:
        follower = follow(str(path), poll_interval=0.05)
        follower.close()
        with pytest.raises(StopAsyncIteration):
            await next_chunk(follower)

    asyncio.run(scenario())
