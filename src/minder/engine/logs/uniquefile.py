"""A new file under a random name, as ``tempfile.mkstemp`` makes it, without ``tempfile``.

The daemon makes one for every AUTO child log (a few per program, before
its first spawn) and for the pidfile's atomic replacement. ``tempfile``
itself imports ``shutil``, which imports ``bz2`` and ``lzma`` (and maps
their C libraries): ~4 ms of every start-up for functions the daemon never
calls. The names keep mkstemp's form (8 characters of
``[a-z0-9_]`` between prefix and suffix), so AUTO log names stay exactly
supervisord's; the file is created with ``O_EXCL | O_NOFOLLOW`` and mode
0600 (less the umask), so nothing planted in a shared directory (``/tmp``)
is followed or adopted: a taken name is simply skipped.
"""

from __future__ import annotations

import errno
import os

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"  # tempfile's, so names look the same
NAME_LENGTH = 8
ATTEMPTS = 10000  # tempfile.TMP_MAX
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_UNBIASED = 256 - 256 % len(ALPHABET)  # bytes at or above this would favour some letters
# byte -> its letter (b % 37), and the bytes to drop: one C call per name, as start-up
# names ~1,000 AUTO logs before its first spawn (3.6 -> 1.1 us a name)
_LETTERS = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))
_BIASED = bytes(range(_UNBIASED, 256))


def random_name() -> str:
    """``NAME_LENGTH`` characters of ``ALPHABET``, from the kernel's random source."""
    while True:
        drawn = os.urandom(NAME_LENGTH + 4).translate(_LETTERS, _BIASED)
        if len(drawn) >= NAME_LENGTH:
            return drawn[:NAME_LENGTH].decode()


def create_new(path: str, mode: int = 0o600) -> int:
    """An open descriptor on ``path``, made now; FileExistsError when the name is taken."""
    return os.open(path, _FLAGS, mode)


def create_unique(directory: str, prefix: str, suffix: str, mode: int = 0o600) -> tuple[int, str]:
    """An open descriptor on a new file ``<directory>/<prefix><random><suffix>``, and its path.

    The path is absolute (``tempfile.mkstemp``'s answer too). OSError other
    than a taken name (a missing or unwritable directory) is raised as it is.
    """
    for _ in range(ATTEMPTS):
        path = os.path.abspath(os.path.join(directory, f"{prefix}{random_name()}{suffix}"))
        try:
            return create_new(path, mode), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free name found", os.path.join(directory, prefix))
