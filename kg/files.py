"""Files in and out, so that nothing the user had is lost and no input can exhaust the machine.

Writes go to a temporary file beside the target, then a rename. Reads check the path first: a folder, a
device or pipe, an empty, binary, non-UTF-8 or oversized file is refused with its own error before any
parser sees it (a 100 MB file is refused from its size alone, without reading it).
"""
from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import DiskFullError, InputFileError, InputNotFoundError, Location, WriteError

MAX_INPUT_SIZE_ENV = "POLICYKG_MAX_INPUT_SIZE"
DEFAULT_MAX_INPUT_SIZE = 64 * 1024 * 1024   # 64 MiB: ~50 times the largest policy graph we know of
# Cards are smaller by default: a card's values become Python objects with their positions (a byte of
# YAML takes ~110 bytes of memory at worst, see docs/errors.md "Input size"); real cards are under 200 KB.
DEFAULT_MAX_CARD_SIZE = 8 * 1024 * 1024     # 8 MiB
_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
_max_input_size: int | None = None          # set by --max-input-size; else the environment, else the default
_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def parse_size(text: str) -> int:
    """'64M', '500K', '1G' or a number of bytes -> bytes."""
    raw = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = raw[-1:] if raw[-1:] in _UNITS and raw[-1:] else ""
    number = raw[: len(raw) - len(unit)]
    if not number.isdigit():
        from .errors import UsageError
        raise UsageError(f"the size '{text}' is not a number of bytes", MAX_INPUT_SIZE_ENV,
                         "write a number with an optional unit K, M or G (e.g. 64M)", error_id="usage")
    return int(number) * _UNITS[unit]


def set_max_input_size(value: str | int | None) -> None:
    global _max_input_size
    _max_input_size = None if value is None else (value if isinstance(value, int) else parse_size(value))


def max_input_size(default: int | None = None) -> int:
    """The size limit of an input: --max-input-size, else $POLICYKG_MAX_INPUT_SIZE, else `default` (the
    input kind's own default, e.g. DEFAULT_MAX_CARD_SIZE), else DEFAULT_MAX_INPUT_SIZE."""
    if _max_input_size is not None:
        return _max_input_size
    env = os.environ.get(MAX_INPUT_SIZE_ENV)
    return parse_size(env) if env else (default or DEFAULT_MAX_INPUT_SIZE)


def read_input(path: str | Path, what: str = "input file", *, default_limit: int | None = None) -> bytes:
    """The bytes of an input file, or the error that says why it cannot be one (not found, a folder or a
    device, larger than the limit, empty, binary). `default_limit`: this kind of input's default size limit."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputNotFoundError(f"no such file: {path}", str(path), "check the path") from None
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror}", str(path), "check the path") from None
    if path.is_dir():
        raise InputFileError(f"{path} is a folder, not a {what}", str(path),
                             "give a file, or pass the folder to 'policykg build' (which reads every card in it)")
    if not path.is_file():
        raise InputFileError(f"{path} is not a regular file (a device, pipe or socket)", str(path),
                             f"give a {what} saved on disk")
    limit = max_input_size(default_limit)
    if info.st_size > limit:
        raise InputFileError(f"{path} is {info.st_size:,} bytes, more than the limit of {limit:,} bytes",
                             str(path), f"split the file, or raise the limit with --max-input-size "
                                        f"(or ${MAX_INPUT_SIZE_ENV}), e.g. --max-input-size 256M",
                             error_id="file-too-large")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)           # a file that grows while read cannot pass the limit either
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror}", str(path), "check the file's permissions") from None
    if len(data) > limit:
        raise InputFileError(f"{path} is more than the limit of {limit:,} bytes", str(path),
                             "split the file or raise --max-input-size", error_id="file-too-large")
    if not data.strip():
        raise InputFileError(f"{path} is empty", str(path), f"write the {what}, or remove the file",
                             error_id="empty-file")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputFileError(f"{path} is a binary file (it holds NUL bytes), not a {what}",
                             Location(str(path), line), f"give the {what} as text", error_id="binary-file")
    return data


def decode_utf8(data: bytes, path: str | Path) -> str:
    """The text of an input, or a not-utf8 error at the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputFileError(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                             Location(str(path), line, column),
                             "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)", error_id="not-utf8") from None


def read_text_input(path: str | Path, what: str = "input file", *, default_limit: int | None = None) -> str:
    return decode_utf8(read_input(path, what, default_limit=default_limit), path)


def write_atomic(data: bytes | Callable[[BinaryIO], None], out: str | Path) -> Path:
    """Write bytes (or what `data(stream)` writes to the binary stream it is given) to `out` through a temporary file in the same folder and an atomic rename; on any
    failure the previous file (if any) is left as it was and the temporary file is removed. A missing
    folder is created; a symbolic link keeps pointing at the new file; a device or pipe is written to. Disk full (ENOSPC, EFBIG, EDQUOT) is a DiskFullError (exit 3); a folder that cannot
    be written, or an `out` that is a folder, a WriteError (exit 2). A new file gets the mode any program
    would give it (0666 less the umask), a replaced file keeps its permission bits (and its group, when
    the user may set it): the temporary file's 0600 is never what is left behind."""
    out = Path(out)
    tmp = None
    try:
        if out.is_dir():
            raise WriteError(f"{out} is a folder", str(out), "give a file name, e.g. " + str(out / "policies.ttl"))
        if out.exists() and not out.is_file():
            # a device, pipe or socket (-o /dev/stdout, a FIFO): written through, never replaced by a file
            with open(out, "wb") as fh:
                _write(data, fh)
            return out
        if out.is_symlink():   # replace the file the link points to, and keep the link
            out = out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        _give_mode(fd, out)
        with os.fdopen(fd, "wb") as fh:
            _write(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _write_error(exc, out) from None
        raise
    return out


def _give_mode(fd: int, out: Path) -> None:
    """Give the temporary file (mkstemp makes it 0600) the mode `out` should end with: the permission
    bits of the file it replaces, or 0666 less the umask for a new one. Only the permission bits: no
    set-user-id, set-group-id or sticky bit is carried over. The replaced file's group is kept when the
    user belongs to it; its owner cannot be (only root may give a file away), and is not tried."""
    try:
        old = out.stat()
    except FileNotFoundError:
        os.fchmod(fd, 0o666 & ~current_umask())
        return
    os.fchmod(fd, old.st_mode & 0o777)
    if old.st_gid != os.fstat(fd).st_gid:
        try:
            os.fchown(fd, -1, old.st_gid)
        except PermissionError:
            pass   # not a member of that group: the file gets the user's group, as a new file would


def current_umask() -> int:
    """The process umask, read without changing it: Linux gives it in /proc/self/status ('Umask:', since
    4.7). Elsewhere it is set and put back at once, which another thread creating a file at that very
    moment could see (os.umask is the only portable way to read it)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(data: bytes | Callable[[BinaryIO], None], stream: BinaryIO) -> None:
    if callable(data):
        data(stream)
    else:
        stream.write(data)


def _write_error(exc: OSError, out: Path) -> WriteError:
    if exc.errno in _FULL:
        return DiskFullError(f"no space left to write {out} ({exc.strerror or exc})", str(out),
                             f"free space on the disk of {out.parent} (or choose another --out); "
                             f"{out} was left as it was")
    blocker = next((p for p in out.parents if p.exists()), None)
    not_folder = f" ({blocker} is not a folder)" if blocker is not None and not blocker.is_dir() else ""
    return WriteError(f"cannot write {out}: {exc.strerror or exc}{not_folder}", str(out),
                      "choose an --out in a folder you can write to")


CARD_SUFFIXES = (".yaml", ".yml")   # a card (in lower case); a folder lists every .yaml, then every .yml


def files_under(folder: str | Path, *groups: tuple[str, ...], skip: str = "sources") -> list[Path]:
    """The files under `folder` whose suffix (in lower case) is in one of `groups`: the first group's, sorted,
    then the next group's... One walk, which does not enter the folders named `skip` (a policy's snapshots
    live in `sources/`: at 10k policies, walking them was most of a rebuild's planning)."""
    found: list[list[Path]] = [[] for _ in groups]
    for top, folders, names in os.walk(folder):
        folders[:] = [f for f in folders if f != skip]
        for name in names:
            suffix = os.path.splitext(name)[1].lower()
            for group, paths in zip(groups, found):
                if suffix in group:
                    paths.append(Path(top, name))
                    break
    return [path for paths in found for path in sorted(paths)]
