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


def test_write_atomic_streams_from_a_writer_and_keeps_the_old_file_if_it_fails(tmp_path):
    """A writer callable streams into the temporary file; if it raises half-way, the old file is intact
    and no temporary file is left."""
    out = tmp_path / "policies.nq"
    write_atomic(lambda stream: [stream.write(b"line %d\n" % i) for i in range(3)], out)
    assert out.read_bytes() == b"line 0\nline 1\nline 2\n"

    def failing(stream):
        stream.write(b"partial\n")
        raise RuntimeError("the store went away")
    with pytest.raises(RuntimeError):
        write_atomic(failing, out)
    assert out.read_bytes() == b"line 0\nline 1\nline 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policies.nq"]
