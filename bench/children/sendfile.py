"""Copy the file FILE to stdout as fast as the pipe takes it: ``sendfile.py FILE``.

The bench pre-generates the deterministic log stream (bench/logstream.py)
into FILE outside the timed window; this child only moves it, with
os.splice (page references, no copy through user space) in 1 MiB requests,
falling back to os.sendfile and then to read/write where the kernel does not
support those for this pair of files. So the log figures measure the daemon
reading the pipe, not a child producing the lines.
"""

import errno
import os
import sys

CHUNK = 1 << 20
UNSUPPORTED = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)


def main() -> None:
    fd = os.open(sys.argv[1], os.O_RDONLY)
    size = os.fstat(fd).st_size
    off = 0
    for way in ("splice", "sendfile"):
        try:
            while off < size:
                n = min(CHUNK, size - off)
                if way == "splice":
                    moved = os.splice(fd, 1, n, offset_src=off)
                else:
                    moved = os.sendfile(1, fd, off, n)
                if not moved:
                    sys.exit(f"{sys.argv[1]} ended at {off} of {size} bytes")
                off += moved
            return
        except OSError as exc:
            if exc.errno not in UNSUPPORTED:
                raise
    os.lseek(fd, off, os.SEEK_SET)
    while data := os.read(fd, CHUNK):
        view = memoryview(data)
        while view:
            view = view[os.write(1, view) :]


main()
