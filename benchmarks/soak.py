"""Soak: many exports, interrupted builds and concurrent builds/exports must all end, with no traceback,
and nothing lost (run by hand; issue 14).

    python benchmarks/soak.py [--n 1000] [--exports 100] [--interrupts 20] [--rounds 20] [--out FILE.md]

On a corpus of N synthetic policies (benchmarks/generate.py, the red-team's 988 loadable cards at 1000):
1. `exports`: `policykg export -f nq` of the whole store, one in two to stdout and one in two with -o; each
   must exit 0 within its timeout, print no traceback, and give the reference bytes.
2. `interrupts`: a build of the corpus over the store, started in its own process group and sent SIGINT
   (as a terminal's Ctrl-C does, to the whole group) after a random delay; each must exit 130 (or 0 if it
   had finished; or end by SIGINT itself, which a shell also reports as 130: Python does so when the signal
   comes as the interpreter shuts down, after the command's work) within its timeout, print no traceback, leave no process of its group alive, and leave a
   store that exports the reference bytes; the next build must not find the lock held.
3. `rounds`: two stores A and B; each round starts, at the same time, a build of A and one of B (from two
   different sets of cards, alternately) and an export of each store; every command must end, builds exit
   0 or 3 (`store-busy`: another build holds that store), exports exit 0 with the bytes of one of the two
   sets, never a mix or a half store.
A command that does not end within its timeout is killed and counted as a hang. Exit status 1 if any check
failed. The Markdown section goes to --out (benchmarks/run_all.py collects it into RESULTS.md).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import DEFAULT_SCRATCH, corpus, machine, machine_line, table, write_fragment  # noqa: E402

TIMEOUT_S = 600


@dataclass
class Tally:
    name: str
    runs: int = 0
    hangs: int = 0
    tracebacks: int = 0
    wrong: list[str] = field(default_factory=list)
    exits: dict[int, int] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    def record(self, code: int | None, stderr: str, seconds: float) -> None:
        self.runs += 1
        self.seconds.append(seconds)
        if code is None:
            self.hangs += 1
        else:
            self.exits[code] = self.exits.get(code, 0) + 1
        if "Traceback" in stderr or "PKG-E099" in stderr:
            self.tracebacks += 1
            self.wrong.append(stderr.strip().splitlines()[-1][:200] if stderr.strip() else "traceback")

    @property
    def ok(self) -> bool:
        return not (self.hangs or self.tracebacks or self.wrong)

    def row(self) -> list:
        exits = ", ".join(f"{code}: {count}" for code, count in sorted(self.exits.items()))
        slowest = f"{max(self.seconds):.1f}" if self.seconds else "—"
        return [self.name, self.runs, self.hangs, self.tracebacks, exits, slowest,
                "; ".join(sorted(set(self.wrong)))[:300] or "—", "ok" if self.ok else "**FAILED**"]


def _policykg(*args: str) -> list[str]:
    return [sys.executable, "-m", "kg", *args]


def _run(cmd: list[str], cwd: Path, timeout: float = TIMEOUT_S, stdout=subprocess.PIPE) -> tuple[int | None, bytes, str, float]:
    """(exit code or None if it hung and was killed, stdout bytes, stderr text, seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, start_new_session=True)
    code, out, err = _wait(proc, timeout)
    return code, out, err, time.perf_counter() - start


def _wait(proc: subprocess.Popen, timeout: float) -> tuple[int | None, bytes, str]:
    """(exit code, or None if it was still running after `timeout` s and its group was killed; stdout
    bytes; stderr text)."""
    try:
        out, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        out, err = proc.communicate()
        code = None
    return code, out or b"", (err or b"").decode("utf-8", "replace")


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _default_sigint() -> None:
    """In the child before exec: SIGINT's default action, as under a terminal. A program started in the
    background of a non-interactive shell (nohup cmd &) inherits SIGINT ignored, and so would every build
    this script starts: none would be interrupted, and the test would pass for nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _export(store: Path, cwd: Path, to_file: Path | None = None) -> tuple[int | None, str, str, float]:
    """Export a store as N-Quads: (exit, digest of the bytes, stderr, seconds)."""
    if to_file is None:
        code, out, err, seconds = _run(_policykg("export", "--store", str(store), "--format", "nq"), cwd)
        return code, _digest(out), err, seconds
    to_file.unlink(missing_ok=True)
    code, _, err, seconds = _run(_policykg("export", "--store", str(store), "--format", "nq", "-o", str(to_file)), cwd)
    return code, _digest(to_file.read_bytes()) if to_file.exists() else "no file", err, seconds


def _build(inputs: list[Path], store: Path, cwd: Path) -> tuple[int | None, str, float]:
    code, _, err, seconds = _run(_policykg("build", *map(str, inputs), "--store", str(store), "-q"), cwd)
    return code, err, seconds


def exports(store: Path, work: Path, reference: str, count: int) -> Tally:
    tally = Tally(f"{count} exports of the whole store (half to stdout, half with -o)")
    for i in range(count):
        code, digest, err, seconds = _export(store, work, work / "export.nq" if i % 2 else None)
        tally.record(code, err, seconds)
        if code == 0 and digest != reference:
            tally.wrong.append(f"export {i}: other bytes ({digest})")
        print(f"export {i + 1}/{count}: exit {code} in {seconds:.1f} s", flush=True)
    return tally


def interrupts(cards: Path, store: Path, work: Path, reference: str, count: int, build_seconds: float) -> Tally:
    tally = Tally(f"{count} builds interrupted by SIGINT to the process group")
    rng = random.Random(14)
    for i in range(count):
        delay = rng.uniform(0.2, max(build_seconds * 0.9, 0.5))
        start = time.perf_counter()
        proc = subprocess.Popen(_policykg("build", str(cards), "--store", str(store), "-q"), cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                                preexec_fn=_default_sigint)
        time.sleep(delay)
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        code, _, err = _wait(proc, 120)
        tally.record(code, err, time.perf_counter() - start)
        if code not in (None, 0, 130, -signal.SIGINT):
            tally.wrong.append(f"interrupted build exited {code}: {err.strip().splitlines()[:1]}")
        time.sleep(0.2)
        if _group_alive(proc.pid):
            tally.wrong.append("a process of the interrupted build's group was still alive")
            _kill_group(proc.pid)
        ecode, digest, eerr, _ = _export(store, work)
        if ecode != 0 or digest != reference:
            tally.wrong.append(f"after interrupt {i}: the store exports {digest} (exit {ecode}): {eerr.strip()[:120]}")
        print(f"interrupt {i + 1}/{count} after {delay:.1f} s: exit {code}", flush=True)
    if not tally.exits.get(130) and not tally.exits.get(-signal.SIGINT):
        tally.wrong.append("no build was interrupted: the signal never reached one (SIGINT ignored?)")
    code, err, seconds = _build([cards], store, work)      # the lock is free, the store builds
    if code != 0:
        tally.wrong.append(f"the build after the interrupts exited {code}: {err.strip()[:160]}")
    return tally


def rounds(sets: list[Path], work: Path, count: int) -> tuple[Tally, Tally]:
    builds, exported = Tally(f"{count} rounds: 2 builds (stores A, B)"), Tally(f"{count} rounds: 2 exports (A, B)")
    stores = [work / "A" / "store", work / "B" / "store"]
    references = []
    for i, cards in enumerate(sets):
        path = work / f"ref-{i}" / "store"
        assert _build([cards], path, work)[0] == 0
        references.append(_export(path, work)[1])
    for store in stores:
        assert _build([sets[0]], store, work)[0] == 0
    for r in range(count):
        commands = [_policykg("build", str(sets[(r + k) % 2]), "--store", str(store), "-q")
                    for k, store in enumerate(stores)]
        commands += [_policykg("export", "--store", str(store), "--format", "nq") for store in stores]
        procs = [subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True) for cmd in commands]
        start = time.perf_counter()
        for k, proc in enumerate(procs):
            code, out, err = _wait(proc, max(TIMEOUT_S - (time.perf_counter() - start), 1))
            tally = builds if k < 2 else exported
            tally.record(code, err, time.perf_counter() - start)
            if k < 2 and code not in (None, 0, 3):
                tally.wrong.append(f"build exited {code}")
            if k < 2 and code == 3 and "store-busy" not in err:
                tally.wrong.append(f"build exited 3 without store-busy: {err.strip()[:120]}")
            if k >= 2 and code not in (None, 0):
                tally.wrong.append(f"export exited {code}: {err.strip().splitlines()[:1]}")
            if k >= 2 and code == 0 and _digest(out) not in references:
                tally.wrong.append(f"round {r}: an export gave bytes of neither set ({_digest(out)})")
        print(f"round {r + 1}/{count}: exits {[p.returncode for p in procs]}", flush=True)
    return builds, exported


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="synthetic policies in the corpus")
    parser.add_argument("--exports", type=int, default=100)
    parser.add_argument("--interrupts", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--out", type=Path, default=None, help="where to write the Markdown section")
    args = parser.parse_args(argv)
    facts = machine()
    cards = corpus(args.n, args.scratch) / "policies"
    work = Path(tempfile.mkdtemp(prefix="policykg-soak-", dir=args.scratch))
    try:
        store = work / "main" / "store"
        code, err, build_seconds = _build([cards], store, work)
        if code != 0:
            raise SystemExit(f"the first build failed ({code}): {err}")
        reference = _export(store, work)[1]
        tallies = [exports(store, work, reference, args.exports),
                   interrupts(cards, store, work, reference, args.interrupts, build_seconds)]
        half = work / "half"
        for card in sorted(cards.rglob("*.yaml"))[: max(len(list(cards.rglob('*.yaml'))) // 2, 1)]:
            target = half / "policies" / card.relative_to(cards)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(card, target)
        shutil.copytree(cards.parent / "sources", half / "sources")
        tallies += rounds([cards, half / "policies"], work, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = all(t.ok for t in tallies)
    text = (f"## 6. Soak: no hang, no traceback, nothing lost\n\n{machine_line(facts)}\n\n"
            f"`benchmarks/soak.py --n {args.n}`: {args.n} synthetic policies (a build of them took "
            f"{build_seconds:.1f} s here). A hang is a command still running after {TIMEOUT_S} s (120 s after "
            "an interrupt). The interrupted builds' store is checked after each one: it must export the "
            "reference bytes. In the rounds, exports must give the bytes of one of the two sets of cards.\n\n"
            + table(["case", "runs", "hangs", "tracebacks", "exit codes (code: runs)", "slowest s",
                     "wrong results", "verdict"], [t.row() for t in tallies])
            + f"\n\nOverall: {'ok' if ok else '**FAILED**'}\n")
    write_fragment(args.out, text)
    if not ok:
        failed = "; ".join(f"{t.name}: {t.hangs} hang(s), {t.tracebacks} traceback(s), {'; '.join(t.wrong)[:500]}"
                           for t in tallies if not t.ok)
        sys.stderr.write(f"soak FAILED: {failed}\n")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
