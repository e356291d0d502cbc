"""kg.files: atomic writes."""
from __future__ import annotations

import pytest

from kg.errors import DiskFullError
from kg.files import write_atomic


def test_write_atomic_keeps_old_file_on_failure(tmp_path, monkeypatch):
    out = tmp_path / "x.ttl"
    write_atomic(b"old", out)
    import errno
    import os
    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device (simulated)")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(DiskFullError):
        write_atomic(b"new", out)
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["x.ttl"]
