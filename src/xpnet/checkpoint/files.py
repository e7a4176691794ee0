"""Where checkpoint bytes come from and go to: bounded reads of regular files, atomic writes.

Reading (:func:`read_source`) takes a path or a seekable binary file object and
reads **at most the bytes the file holds**, measured before reading: a path
must be a regular file once symlinks are followed (``/dev/zero``, a FIFO, a
device or a socket is refused before it is read, so it can neither block nor
fill memory).

Writing (:func:`atomic_write`) goes to a temporary file beside the target (the
file a symlink points to: the link stays),
``.<name>.xpnet-tmp-<host>-<pid>-<random>``, fsynced and then renamed over the
target: readers see the old file or the whole new one. The new file gets the
permissions of the file it replaces (a 0600 checkpoint stays 0600), or, for a
new file, ``0666`` less the umask, as ``open()`` gives. A save killed midway
(``kill -9``, power loss) can leave its temporary file; the next save to the
same path removes the temporary files of that target whose writer is gone (its
process is dead on this host) or that nobody has touched for a day. Nothing
that does not match the pattern, and nothing that is not a regular file, is
ever removed. A target that exists and is not a regular file (``/dev/null``,
a FIFO) is written into, as ``torch.save`` does, and never replaced.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import stat
import time
from collections.abc import Callable
from typing import Any, BinaryIO

TEMP_TAG = ".xpnet-tmp-"
STALE_AFTER_S = 24 * 3600  # a temporary file untouched this long is stale whoever wrote it
_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:32] or "host"
_TEMP_REST = re.compile(r"(?P<host>[A-Za-z0-9_]+)-(?P<pid>[0-9]{1,10})-[0-9a-f]{8}")


class CheckpointError(ValueError):
    """A checkpoint file that is damaged, of another format, or does not match its manifest."""


# -- reading -------------------------------------------------------------------------------
def describe(source: Any) -> str:
    """How messages name ``source``: its path, or the file object's name or type."""
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        return str(name) if isinstance(name, (str, bytes, os.PathLike)) else f"<{type(source).__name__}>"
    return os.fspath(source)


def read_source(source: Any) -> bytes:
    """The bytes of a regular file at path ``source``, or of a seekable binary file object.

    Never reads more than the size the file has when it is opened. Raises
    FileNotFoundError / PermissionError / IsADirectoryError as ``open`` does,
    and CheckpointError for a FIFO, device or socket (named, refused unread),
    a text-mode or unseekable file object.
    """
    if hasattr(source, "read"):
        return _read_file_object(source)
    where = os.fspath(source)
    _require_regular(os.stat(where), where)  # follows symlinks: /dev/zero behind a link is seen
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(where, flags)  # O_NONBLOCK: a FIFO swapped in after the stat cannot block us
    with os.fdopen(fd, "rb", buffering=0) as f:
        info = os.fstat(f.fileno())
        _require_regular(info, where)  # the file we opened, not the name we looked at
        return _read_at_most(f, info.st_size)


def _require_regular(info: os.stat_result, where: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(f"{where} is a folder: give the path of a checkpoint file inside it")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else
                "a character device" if stat.S_ISCHR(info.st_mode) else
                "a block device" if stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise CheckpointError(f"{where} is {kind}, not a regular file: xn.load reads only regular "
                              f"files (a pipe or device has no size to bound the read); nothing was read")


def _read_file_object(f: Any) -> bytes:
    where = describe(f)
    info: os.stat_result | None = None
    with contextlib.suppress(AttributeError, OSError, ValueError):  # io.BytesIO has no file number
        info = os.fstat(f.fileno())
    if info is not None:
        _require_regular(info, where)  # an open /dev/zero or pipe
    seekable = getattr(f, "seekable", None)
    if not (callable(seekable) and seekable()):
        raise CheckpointError(
            f"{where} is not seekable: xn.load reads a path or a seekable binary file object "
            f"(open(path, 'rb'), io.BytesIO), whose size bounds the read")
    start = f.tell()
    size = f.seek(0, os.SEEK_END) - start
    f.seek(start)
    return _read_at_most(f, max(size, 0))


def _read_at_most(f: Any, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = f.read(left)
        if isinstance(chunk, str):
            raise CheckpointError(f"{describe(f)} is open in text mode: open it with open(path, 'rb')")
        if not chunk:
            break  # shorter than its size said (shrinking under us): the checks see a truncation
        chunks.append(chunk)
        left -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


# -- writing -------------------------------------------------------------------------------
def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(f)`` on a temporary file beside ``path``, fsync it, then rename it over ``path``.

    ``os.replace`` is atomic: readers see the old file or the whole new one, and
    a crash or an exception while writing leaves the old file as it was (an
    exception also removes the temporary file; a kill leaves it for the next save).
    """
    target = os.path.realpath(os.fspath(path))  # through symlinks: the link stays, its file is replaced
    directory, name = os.path.split(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to {os.fspath(path)!r}: the folder {directory!r} "
                                f"does not exist (create it first, e.g. os.makedirs)")
    try:
        existing: int | None = os.stat(target).st_mode
    except OSError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing):
        raise IsADirectoryError(f"cannot save to {os.fspath(path)!r}: it is a folder; give a file "
                                f"name inside it, e.g. {os.path.join(os.fspath(path), 'model.pth')!r}")
    if existing is not None and not stat.S_ISREG(existing):  # /dev/null, a pipe: written into, not replaced
        with open(target, "wb") as f:
            write(f)
        return
    remove_stale_temps(directory, name)
    keep_mode = _mode_of(target)
    fd, tmp = _create_temp(directory, name, 0o600 if keep_mode is not None else 0o666)
    try:
        if keep_mode is not None:
            _set_mode(fd, tmp, keep_mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def temp_name(name: str) -> str:
    """A fresh temporary file name for target ``name``: ``.<name>.xpnet-tmp-<host>-<pid>-<random>``."""
    return f".{name}{TEMP_TAG}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"


def _create_temp(directory: str, name: str, mode: int) -> tuple[int, str]:
    """Create (O_EXCL) and open a new temporary file; the kernel applies the umask to ``mode``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = os.path.join(directory, temp_name(name))
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {directory!r} for {name!r}")


def _mode_of(target: str) -> int | None:
    """The permission bits of the regular file being replaced, or None for a new file."""
    try:
        info = os.lstat(target)
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None


def _set_mode(fd: int, tmp: str, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows: only the read-only bit exists
        os.chmod(tmp, mode)


def remove_stale_temps(directory: str, name: str) -> list[str]:
    """Remove the stale temporary files of target ``name`` in ``directory``; return their paths.

    A file is removed only if its name is ``.<name>.xpnet-tmp-<host>-<pid>-<8 hex>``,
    it is a regular file (not a link) owned by this user, and either its writer
    is gone (written on this host by a process that no longer exists) or it has
    not been modified for :data:`STALE_AFTER_S` seconds. Errors are ignored: a
    save never fails because of someone else's leftovers.
    """
    prefix = f".{name}{TEMP_TAG}"
    removed: list[str] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_REST.fullmatch(entry.name[len(prefix):]) if entry.name.startswith(prefix) else None
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            continue
        writer_gone = match["host"] == _HOST and not _alive(int(match["pid"]))
        if writer_gone or time.time() - info.st_mtime > STALE_AFTER_S:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.path)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (True when that cannot be told)."""
    if pid == os.getpid():
        return True  # another thread of ours may be saving to the same path
    if os.name == "nt" or pid <= 0:
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # PermissionError: it exists, owned by someone else
    return True
