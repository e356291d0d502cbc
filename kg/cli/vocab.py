"""`policykg vocab …`: generate the DPV term table and JSON-LD context, fetch a DPV release, look up a term,
search terms by words."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from kg.errors import KgError
from kg.terminal import error_text, printable

from .defaults import DEFAULT_BASE_URL, DPV_VERSION, ENV_BASE_URL

app = typer.Typer(help="The DPV vocabulary: generate the shipped term table, fetch a release, look up and search "
                       "terms.",
                  no_args_is_help=True)


def _fail(err: KgError) -> None:
    typer.echo(error_text(err), err=True)
    raise typer.Exit(err.exit_code)


def _ontology_dir() -> Path:
    from kg.resources import ontology_dir
    return ontology_dir()


@app.command()
def generate(
    from_dir: Path = typer.Option(..., "--from", help="A DPV release folder (dpv.ttl, pd.ttl, loc.ttl …)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write dpv-terms.ttl and context.jsonld "
                                                           "(default: the shipped ontology/ folder)."),
) -> None:
    """Write ontology/dpv-terms.ttl (and context.jsonld) from a DPV release.

    Example: policykg vocab generate --from ~/.cache/policykg/dpv/2.3
    """
    from kg import vocab
    out_dir = out or _ontology_dir()
    try:
        path, count, version = vocab.write_term_table(from_dir, out_dir)
        started = time.perf_counter()
        graphs = {vocab.graph_iri(path.stem): vocab._parse(path)}
        for name in vocab.PROJECT_FILES:
            source = out_dir / name if (out_dir / name).is_file() else _ontology_dir() / name
            graphs[vocab.graph_iri(source.stem)] = vocab._parse(source)
        elapsed = time.perf_counter() - started
        context = vocab.write_context(vocab.Vocabulary(graphs, version), out_dir)
    except KgError as err:
        _fail(err)
    typer.echo(f"wrote {printable(path)} ({count} triples, DPV {version}; whole vocabulary loads in "
               f"{elapsed:.2f} s)", err=True)
    typer.echo(f"wrote {printable(context)}", err=True)


@app.command()
def context(
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for context.jsonld (default: ontology/)."),
) -> None:
    """Write the JSON-LD context (context.jsonld) from the loaded vocabulary.

    Example: policykg vocab context --out build/
    """
    from kg import vocab
    try:
        path = vocab.write_context(vocab.load_vocabulary(), out or _ontology_dir())
    except KgError as err:
        _fail(err)
    typer.echo(f"wrote {printable(path)}", err=True)


@app.command()
def fetch(
    version: str = typer.Option(DPV_VERSION, "--version", help="DPV release to download."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Mirror of the DPVCG repository's raw files "
                                           f"(default ${ENV_BASE_URL} or {DEFAULT_BASE_URL})."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to put the files "
                                             "(default: dpv/<version> in the cache folder, $POLICYKG_CACHE or ~/.cache/policykg)."),
) -> None:
    """Download the official DPV release files, checked against pinned SHA-256 hashes.

    Example: policykg vocab fetch --version 2.3
    """
    from kg import vocab
    try:
        folder = vocab.fetch_dpv(version, base_url, cache_dir)
    except KgError as err:
        _fail(err)
    typer.echo(printable(folder))
    typer.echo(printable(f"DPV {version} is in {folder}; use it with POLICYKG_VOCAB_DIR={folder} "
                         f"or `policykg vocab generate --from {folder}`"), err=True)


@app.command()
def term(curie: str = typer.Argument(..., help="A CURIE or IRI, e.g. dpv:Purpose."),
         fmt: str = typer.Option("text", "--format", "-f", help="text (term, English and French labels, "
                                                                "tab-separated) or json.")) -> None:
    """Say whether a term exists, its labels and status, or suggest the closest terms.

    Example: policykg vocab term dpv:ServiceProvison
    Example: policykg vocab term dpv:Marketing --format json
    """
    from kg import vocab
    try:
        if fmt not in ("text", "json"):
            raise KgError(f"--format {fmt} is not one of text, json", None, "use --format text|json",
                          error_id="usage")
        v = vocab.load_vocabulary()
        if not v.exists(curie):
            raise vocab.VocabError(f"'{curie}' is not a term of DPV {v.version} or of the extension",
                                   fix=("did you mean " + ", ".join(f"'{s}'" for s in close) + "?") if (close := v.suggest(curie))
                                   else "check the spelling against the DPV documentation",
                                   error_id="unknown-term")
    except KgError as err:
        _fail(err)
    if fmt == "json":
        from kg import namespaces as ns
        iri = str(vocab._iri(curie))
        meta = (str(ns.RDFS), str(ns.SKOS), str(ns.OWL), str(ns.RDF))   # rdfs:Class, skos:Concept…: not broader terms
        broader = sorted(ns.shorten(str(a)) for a in v.ancestors(iri) if str(a) != iri and not str(a).startswith(meta))
        sys.stdout.write(json.dumps({"term": ns.shorten(iri), "iri": iri,
                                     "label": {lang: v.label(curie, lang) for lang in ("en", "fr")},
                                     "sunset": v.is_sunset(curie), "property": v.is_property(curie),
                                     "broader": broader}, ensure_ascii=False, indent=2) + "\n")
        return
    status = " (sunset: avoid it)" if v.is_sunset(curie) else ""
    fields = (curie, v.label(curie, "en") or "", v.label(curie, "fr") or "")
    typer.echo("\t".join(map(printable, fields)) + status)


@app.command()
def search(
    text: List[str] = typer.Argument(..., help="Words to look for (English or French), e.g. billing, "
                                               "'données de santé'."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Only labels, forms and definitions in en or fr "
                                                            "(default: both)."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="At most N terms."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    vocab_dir: Optional[Path] = typer.Option(None, "--vocab-dir", envvar="POLICYKG_VOCAB_DIR",
                                             help="A full DPV release folder ('policykg vocab fetch'): its "
                                                  "definitions are searched too (the shipped table has none)."),
) -> None:
    """Find the terms that words name or describe: labels (en, fr), the words policies use for a term
    (the draft lexicon's forms) and definitions, best first.

    Ranked: a label equal to the words, a policy's word for the term equal to them, every word in
    a label, in such a form, in a definition, then some of the words; case, accents and plurals
    folded. Example: policykg vocab search billing (dpv:PaymentManagement: policies say
    "billing" and "facturation" for it).
    """
    from kg import vocab
    try:
        if lang is not None and lang not in ("en", "fr"):
            raise KgError(f"--lang {lang} is not one of en, fr", None, "use --lang en or --lang fr (or leave it "
                          "out for both)", error_id="usage")
        if fmt not in ("table", "json"):
            raise KgError(f"--format {fmt} is not one of table, json", None, "use --format table|json",
                          error_id="usage")
        words = " ".join(text).strip()
        if not words:
            raise KgError("no words to search for", None, "give one or more words, e.g. policykg vocab search "
                          "billing", error_id="usage")
        v = vocab.load_vocabulary(vocab_dir)
        hits = v.search(words, lang, limit)
    except KgError as err:
        _fail(err)
    if fmt == "json":
        sys.stdout.write(json.dumps([{"term": h.curie, "iri": h.iri, "tier": h.tier, "matched": h.field,
                                      "lang": h.lang or None, "text": h.text, "score": h.score,
                                      "label": {"en": h.label_en, "fr": h.label_fr}} for h in hits],
                                    ensure_ascii=False, indent=2) + "\n")
        return
    if not hits:
        typer.echo(printable(f"no term matches '{words}'" + (f" in {lang}" if lang else "") +
                             ": try other words (English or French)" +
                             ("" if vocab_dir else ", or a full DPV copy with --vocab-dir to search definitions")),
                   err=True)
        return
    rows = [(h.curie, (h.label_fr if lang == "fr" else None) or h.label_en or h.label_fr or "",
             h.field + (f" ({h.lang})" if h.lang else ""), h.text) for h in hits]
    from rich.console import Console
    console = Console(highlight=False)
    if console.is_terminal:
        from rich.table import Table

        from kg.terminal import rich_text
        table = Table(title=rich_text(f"{len(hits)} term(s) for '{words}'"), title_justify="left")
        for column in ("term", "label", "matched", "text"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(rich_text(c) for c in row))
        console.print(table)
        return
    try:   # a file or a pipe: tab-separated lines, whole
        sys.stdout.write("term\tlabel\tmatched\ttext\n")
        sys.stdout.writelines("\t".join(printable(c).replace("\t", "\\t") for c in row) + "\n" for row in rows)
        sys.stdout.flush()
    except BrokenPipeError:
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
