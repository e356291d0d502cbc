"""Writing files so that nothing the user had is lost: a temporary file beside the target, then a rename."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(data: bytes, out: str | Path) -> Path:
    """Write bytes to `out` through a temporary file in the same folder and an atomic rename; on any
    failure the previous file (if any) is left as it was and the temporary file is removed."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
