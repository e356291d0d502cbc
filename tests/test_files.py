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


# --- modes of written files (issue 14): never the temporary file's 0600 ------------------------------------

@pytest.fixture
def umask_027():
    import os
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


def test_new_file_gets_0666_less_the_umask(tmp_path, umask_027):
    import os
    import stat
    out = write_atomic(b"x", tmp_path / "new.ttl")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640   # mkstemp's 0600 before


def test_replaced_file_keeps_its_permission_bits_only(tmp_path, umask_027):
    import os
    import stat
    out = tmp_path / "shared.ttl"
    out.write_bytes(b"old")
    for mode, kept in ((0o664, 0o664), (0o444, 0o444), (0o4755, 0o755)):   # no set-user-id carried over
        os.chmod(out, mode)
        write_atomic(b"new", out)
        assert stat.S_IMODE(os.stat(out).st_mode) == kept and out.read_bytes() == b"new"


def test_replaced_file_through_a_symlink_keeps_the_target_mode(tmp_path, umask_027):
    import os
    import stat
    target = tmp_path / "target.ttl"
    target.write_bytes(b"old")
    os.chmod(target, 0o664)
    (tmp_path / "link.ttl").symlink_to(target)
    write_atomic(b"new", tmp_path / "link.ttl")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o664 and (tmp_path / "link.ttl").is_symlink()


def test_replaced_file_keeps_its_group_when_allowed(tmp_path):
    import os
    others = [g for g in os.getgroups() if g != os.getegid()]
    gid = 4242 if os.geteuid() == 0 else (others[0] if others else None)
    if gid is None:
        pytest.skip("the user belongs to no second group to give the file")
    out = tmp_path / "grouped.ttl"
    out.write_bytes(b"old")
    os.chown(out, -1, gid)
    write_atomic(b"new", out)
    assert os.stat(out).st_gid == gid


def test_umask_is_read_without_changing_it(monkeypatch, umask_027):
    import builtins
    import os

    from kg.files import current_umask
    assert current_umask() == 0o027
    calls = []
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or 0o027)
    assert current_umask() == 0o027 and (calls == [] or not os.path.exists("/proc/self/status"))

    real_open = builtins.open

    def no_proc(path, *args, **kwargs):   # a system without /proc: the os.umask fallback
        if str(path).startswith("/proc/"):
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", no_proc)
    assert current_umask() == 0o027 and calls == [0o022, 0o027]


def test_files_under_walks_once_group_by_group_and_skips_the_snapshot_folders(tmp_path):
    from kg.files import files_under
    for name in ("b/x.yaml", "a/y.YAML", "a/z.yml", "a/g.nq", "a/sources/s.yaml", "a/notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    assert files_under(tmp_path, (".yaml",), (".nq", ".ttl")) == [
        tmp_path / "a/y.YAML", tmp_path / "b/x.yaml", tmp_path / "a/g.nq"]
    assert files_under(tmp_path, (".yaml",), skip="nothing")[-1] == tmp_path / "b/x.yaml"
    assert tmp_path / "a/sources/s.yaml" in files_under(tmp_path, (".yaml",), skip="nothing")
