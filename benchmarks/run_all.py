"""Run every benchmark in one run and write benchmarks/RESULTS.md (run by hand, on a quiet machine).

    python benchmarks/run_all.py [--sizes 1000,10000] [--only build,query] [--scratch DIR]
    python benchmarks/run_all.py --sizes 1000,10000,100000 --naive-max 1000   # + the 100k build

Sections: corpus (the synthetic corpus, benchmarks/generate.py), 1 build, 2 validate
(benchmarks/validate_corpus.py, when present: run with --n N --scratch DIR --out FILE.md, or --n and --out
only if it has no --scratch; it writes its Markdown section to FILE.md), 3 query, 3b paging (each library
query's corpus form: first page, whole answer, dump and one policy, at the middle size), 4 export (at 10k, or the largest size), 5 reason
(benchmarks/bench_reason.py, when present), 6 soak (benchmarks/soak.py: exports, interrupted and concurrent
builds must all end, with no traceback and nothing lost), 7 extraction (benchmarks/bench_extract.py: policykg
draft against gold cards; --extract-texts DIR adds the development set). Each section writes its Markdown to --results-dir/<section>.md;
RESULTS.md is assembled from the fragments there (and benchmarks/RESULTS-notes.md, the hand-written
analysis of the missed targets), so `--only query` re-runs one section and keeps the others
(resumable). A section that fails is reported as failed in RESULTS.md, the others still run.
The corpora and stores are made once in --scratch (default /tmp/policykg-bench, outside the repository) and
reused by the sections; 100k policies need ~40 GB of disk there.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import DEFAULT_SCRATCH, corpus, machine, machine_line, table  # noqa: E402

HERE = Path(__file__).resolve().parent
SECTIONS = ("corpus", "build", "validate", "query", "paging", "export", "reason", "soak", "extract")


def _script_section(name: str, script: Path, args: list[str], out: Path, timeout: float | None) -> str:
    if not script.exists():
        return f"not run: {script.name} is not in this checkout"
    cmd = [sys.executable, str(script), *args, "--out", str(out)]
    print("$ " + " ".join(cmd), flush=True)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=timeout, cwd=HERE.parent, text=True, capture_output=True)
    except subprocess.TimeoutExpired:
        return f"stopped after {timeout:.0f} s"
    if proc.returncode == 2 and "unrecognized arguments" in proc.stderr and "--scratch" in args:
        # a script (e.g. another helper's) without --scratch: run it with --n/--out only
        keep = [a for i, a in enumerate(args) if a != "--scratch" and (i == 0 or args[i - 1] != "--scratch")]
        return _script_section(name, script, keep, out, timeout)
    sys.stdout.write(proc.stdout[-20000:])
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-5000:])
        return f"failed (exit {proc.returncode}) after {time.perf_counter() - start:.0f} s: " + \
            (proc.stderr.strip().splitlines() or ["no message"])[-1]
    return ""


def corpus_section(sizes: list[int], scratch: Path, out: Path) -> None:
    from benchmarks.generate import Manifest
    rows = []
    for n in sizes:
        start = time.perf_counter()
        folder = corpus(n, scratch)
        seconds = time.perf_counter() - start
        m = Manifest.read(folder / "manifest.json")
        kinds: dict[str, int] = {}
        for d in m.defects:
            kinds[d.kind] = kinds.get(d.kind, 0) + 1
        rows.append([f"{n:,}", f"{m.cards:,}", f"{m.load_error_cards:,}", f"{m.statements:,}",
                     f"{len(m.defects):,} ({len(m.defects) / n:.1%})",
                     ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())), f"{seconds:.1f}"])
    text = ("## Synthetic corpus\n\n`benchmarks/generate.py` (seed 0): policy i is the same card whatever N. "
            "Cards with a planted load error are kept apart (`invalid/`), since a build refuses them; the "
            "others are what the benchmarks load. Generation time is 0 when the corpus was already in the "
            "scratch folder.\n\n" +
            table(["policies", "loadable cards", "cards with a load error", "statements (quotes)",
                   "planted defects", "by kind", "generated in s"], rows) + "\n")
    out.write_text(text, encoding="utf-8")
    print(text)


def assemble(results_dir: Path, facts: dict, command: str) -> str:
    parts = ["# policykg benchmarks: results", "",
             "Written by `benchmarks/run_all.py` (do not edit by hand; re-run it). Each section comes from one "
             "run of its script, whose own header gives the date and the machine's load at its start; figures "
             "of a section (and their ratios) are measured in that same run.", "",
             f"Runs: {command}", "", f"Machine of the last run: {machine_line(facts)}", ""]
    titles = {"validate": "## 2. Validate", "paging": "## 3b. Query: pages, whole answers and dumps",
              "reason": "## 5. Reason", "soak": "## 6. Soak", "extract": "## 7. Extraction"}
    for name in SECTIONS:
        fragment = results_dir / f"{name}.md"
        status = results_dir / f"{name}.status"
        if fragment.exists():
            parts.append(fragment.read_text(encoding="utf-8").rstrip())
        elif status.exists():
            parts.append(f"{titles.get(name, '## ' + name.capitalize())}\n\n{status.read_text(encoding='utf-8').strip()}")
        else:
            continue
        if status.exists() and fragment.exists() and status.read_text(encoding="utf-8").strip():
            parts.append(f"\n*This section's last run: {status.read_text(encoding='utf-8').strip()}*")
        parts.append("")
    notes = HERE / "RESULTS-notes.md"  # the hand-written analysis of the missed targets, kept across runs
    if notes.exists():
        parts.append(notes.read_text(encoding="utf-8").rstrip())
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="numbers of policies, comma-separated")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run: " + ",".join(SECTIONS))
    parser.add_argument("--naive-max", type=int, default=1000)
    parser.add_argument("--query-max", type=int, default=10000, help="largest size the query benchmark runs at")
    parser.add_argument("--export-n", type=int, default=None, help="size for the export benchmark "
                        "(default: 10000 if among the sizes, else the largest)")
    parser.add_argument("--validate-n", type=int, default=None, help="size for the validation benchmark "
                        "(default: 10000 if among the sizes, else the largest)")
    parser.add_argument("--quick", action="store_true", help="a check that the scripts run (the test suite's "
                        "smoke test): queries once each, in one process")
    parser.add_argument("--extract-texts", type=Path, default=None, help="folder of the development set's texts "
                        "for the extraction section (benchmarks/extraction/texts.py)")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds before a section is stopped")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--results-dir", type=Path, default=HERE / "results")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    args.scratch.mkdir(parents=True, exist_ok=True)
    facts = machine()
    (args.results_dir / "machine.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
    mid = 10000 if 10000 in sizes else max(sizes)
    common = ["--scratch", str(args.scratch)]
    plan = {
        "build": (HERE / "bench_build.py", ["--sizes", ",".join(map(str, sizes)),
                                            "--naive-max", str(args.naive_max)] + common),
        "validate": (HERE / "validate_corpus.py", ["--n", str(args.validate_n or mid)] + common
                     + (["--engines", "oxigraph,pyshacl-turbo", "--single", "3", "--sample", "2"] if args.quick else
                        # pySHACL takes ~10 s a policy: 3 timed, 2 in the store run, 60 planted policies
                        ["--single", "30", "--slow-single", "3", "--sample", "2", "--agree-max", "60"])),
        "query": (HERE / "bench_query.py", ["--sizes", ",".join(str(n) for n in sizes if n <= args.query_max)]
                  + common + (["--in-process", "--repeat", "1"] if args.quick else [])),
        # 3b. the corpus forms: first pages, whole answers, dumps and one policy, at the middle size
        "paging": (HERE / "bench_query.py", ["--paging", "--n", str(mid)] + common
                   + (["--only", "policy-summary,statement-evidence"] if args.quick else [])),
        "export": (HERE / "bench_export.py", ["--n", str(args.export_n or mid)] + common),
        "reason": (HERE / "bench_reason.py", ["--sizes", "2" if args.quick else "10,100"] + common),
        "soak": (HERE / "soak.py", (["--n", "20", "--exports", "1", "--interrupts", "1", "--rounds", "1"]
                                    if args.quick else ["--n", "1000"]) + common),
        # 7. extraction (policykg draft vs gold cards): the seeds, plus the development set when its texts are
        # in --extract-texts (benchmarks/extraction/texts.py copies them there)
        "extract": (HERE / "bench_extract.py", ["--quick"] if args.quick else
                    (["--texts", str(args.extract_texts)] if args.extract_texts else [])),
    }
    for name in only:
        status = args.results_dir / f"{name}.status"
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        if name == "corpus":
            corpus_section(sizes, args.scratch, args.results_dir / "corpus.md")
            status.write_text(f"{stamp}: ok\n", encoding="utf-8")
            continue
        script, script_args = plan[name]
        fragment = args.results_dir / f"{name}.md"
        problem = _script_section(name, script, script_args, fragment, args.timeout)
        if problem and fragment.exists() and fragment.stat().st_mtime < time.time() - 60:
            fragment.unlink()  # an older run's figures must not pass for this run's
        status.write_text(f"{stamp}: {problem or 'ok'}\n", encoding="utf-8")
        if problem:
            print(f"{name}: {problem}", flush=True)
    command = "python benchmarks/run_all.py " + " ".join(sys.argv[1:] if argv is None else argv)
    runs = args.results_dir / "runs.txt"   # every run whose sections are still in RESULTS.md, oldest first
    with runs.open("a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {command.strip()} (sections: {','.join(only)})\n")
    history = "; then ".join(f"`{line}`" for line in runs.read_text(encoding="utf-8").splitlines() if line.strip())
    args.results.write_text(assemble(args.results_dir, facts, history), encoding="utf-8")
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
