"""What the benchmark scripts share: the synthetic corpus and store of N policies (made once in a scratch
folder, reused by the other scripts), measuring a step in a child process (wall and CPU time, peak RSS),
the machine's facts, and the Markdown fragment each script writes for RESULTS.md.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SCRATCH = Path(os.environ.get("POLICYKG_BENCH_DIR", "/tmp/policykg-bench"))
SEEDS = ROOT / "data" / "policies"


def corpus(n: int, scratch: Path, seed: int = 0) -> Path:
    """The folder of the synthetic corpus of n policies (generated on first use)."""
    from benchmarks.generate import GENERATOR_VERSION, generate
    folder = Path(scratch) / f"corpus-{n}"
    manifest = folder / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if (data.get("n"), data.get("seed"), data.get("generator_version")) == (n, seed, GENERATOR_VERSION):
            return folder
    shutil.rmtree(folder, ignore_errors=True)
    generate(n, folder, seed)
    return folder


# A store made by an older build is made again: "2", the build keeps each card's lines in the export cache
STORE_VERSION = "2"


def store(n: int, scratch: Path) -> Path:
    """A store of the seeds + the n synthetic policies (built on first use, by `policykg build`). What the build
    left in the generation's export cache is listed in `built-export-cache.txt` beside it (bench_export)."""
    folder = Path(scratch) / f"store-{n}"
    path = folder / "store"
    done = folder / "done"
    if not done.exists() or done.read_text().strip() != STORE_VERSION:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        from kg.build import build
        from kg.stores.oxigraph import EXPORT_CACHE, current_generation
        build([SEEDS, corpus(n, scratch) / "policies"], store=path)
        kept = current_generation(path) / EXPORT_CACHE
        names = sorted(p.name for p in kept.iterdir()) if kept.is_dir() else []
        (folder / "built-export-cache.txt").write_text("".join(f"{name}\n" for name in names))
        done.write_text(STORE_VERSION + "\n")
    return path


def peak_rss_mb() -> tuple[float, float]:
    """(this process's peak RSS, the largest child's) in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_child(script: Path, args: list[str], timeout: float | None = None) -> dict:
    """Run `script --child …` in a fresh interpreter; it prints one JSON line, returned here."""
    cmd = [sys.executable, str(script), "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Measure:
    """Wall time, CPU time (with child processes) and peak RSS of a block, as a dict."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        own, child = peak_rss_mb()
        self.result = {"seconds": time.perf_counter() - self.wall, "cpu_seconds": cpu_seconds() - self.cpu,
                       "rss_mb": own, "worker_rss_mb": child}
        return False


def machine() -> dict:
    """The facts RESULTS.md gives about the machine."""
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("pyoxigraph", "rdflib", "PyYAML", "pyshacl", "jsonschema-rs", "policykg"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cores": os.cpu_count(),
            "cpu": cpu, "ram_gib": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions,
            "load_average": [round(x, 2) for x in load] if load else None}


def machine_line(facts: dict) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in facts["versions"].items())
    load = f"; load average at start {facts['load_average']}" if facts.get("load_average") else ""
    return (f"{facts['date']}; {facts['cores']} cores ({facts['cpu']}), {facts['ram_gib']} GiB RAM; "
            f"Python {facts['python']} on {facts['platform']}; {versions}{load}")


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_fragment(out: Path | None, text: str) -> None:
    """Print a section and write it where the driver collects it."""
    print(text)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text.rstrip() + "\n", encoding="utf-8")


def target(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")
