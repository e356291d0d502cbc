"""Copy the extraction benchmark's policy texts, dev and test splits (benchmarks/extraction/manifest.json), from
local clones of the Open Terms Archive versions repositories into a folder, each checked against its SHA-256.

    python benchmarks/extraction/texts.py --clones DIR --out TEXTS

DIR holds one git clone per repository, named `<owner>+<name>` (or `<name>`), e.g.
DIR/OpenTermsArchive+france-versions; TEXTS gets `<slug>.md` per policy. The texts are their authors'
copyright and are not committed: only the manifest (repository, path, commit, SHA-256) is.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

MANIFEST = Path(__file__).resolve().parent / "manifest.json"


def manifest() -> list[dict]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))["policies"]


def _clone(clones: Path, repository: str) -> Path:
    owner, name = repository.split("/")
    for candidate in (clones / f"{owner}+{name}", clones / f"{owner}+{name}" / "repo", clones / name):
        if (candidate / "HEAD").is_file() or (candidate / ".git").exists():
            return candidate
    raise SystemExit(f"no clone of {repository} in {clones} (expected {clones / (owner + '+' + name)})")


def copy_texts(clones: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in manifest():
        git_dir = _clone(clones, entry["repository"])
        data = subprocess.run(["git", "--git-dir" if (git_dir / "HEAD").is_file() else "-C", str(git_dir),
                               "show", f"{entry['commit']}:{entry['path']}"],
                              check=True, capture_output=True).stdout
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            raise SystemExit(f"{entry['slug']}: SHA-256 {digest} differs from the manifest's {entry['sha256']}")
        target = out / f"{entry['slug']}.md"
        target.write_bytes(data)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", type=Path, required=True, help="folder of the git clones")
    parser.add_argument("--out", type=Path, required=True, help="folder that receives <slug>.md")
    args = parser.parse_args(argv)
    for path in copy_texts(args.clones, args.out):
        print(path)


if __name__ == "__main__":
    sys.exit(main())
