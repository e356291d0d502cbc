"""`policykg vocab …`: generate the DPV term table and JSON-LD context, fetch a DPV release, look up a term."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from kg import vocab
from kg.errors import KgError
from kg.terminal import error_text, printable

app = typer.Typer(help="The DPV vocabulary: generate the shipped term table, fetch a release, look up terms.",
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
    try:
        path = vocab.write_context(vocab.load_vocabulary(), out or _ontology_dir())
    except KgError as err:
        _fail(err)
    typer.echo(f"wrote {printable(path)}", err=True)


@app.command()
def fetch(
    version: str = typer.Option(vocab.DPV_VERSION, "--version", help="DPV release to download."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Mirror of the DPVCG repository's raw files "
                                           f"(default ${vocab.ENV_BASE_URL} or {vocab.DEFAULT_BASE_URL})."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to put the files "
                                             "(default: the user cache, policykg/dpv/<version>)."),
) -> None:
    """Download the official DPV release files, checked against pinned SHA-256 hashes.

    Example: policykg vocab fetch --version 2.3
    """
    try:
        folder = vocab.fetch_dpv(version, base_url, cache_dir)
    except KgError as err:
        _fail(err)
    typer.echo(printable(folder))
    typer.echo(printable(f"DPV {version} is in {folder}; use it with POLICYKG_VOCAB_DIR={folder} "
                         f"or `policykg vocab generate --from {folder}`"), err=True)


@app.command()
def term(curie: str = typer.Argument(..., help="A CURIE or IRI, e.g. dpv:Purpose.")) -> None:
    """Say whether a term exists, its labels and status, or suggest the closest terms.

    Example: policykg vocab term dpv:ServiceProvison
    """
    try:
        v = vocab.load_vocabulary()
        if not v.exists(curie):
            raise vocab.VocabError(f"'{curie}' is not a term of DPV {v.version} or of the extension",
                                   fix=("did you mean " + ", ".join(f"'{s}'" for s in close) + "?") if (close := v.suggest(curie))
                                   else "check the spelling against the DPV documentation",
                                   error_id="unknown-term")
    except KgError as err:
        _fail(err)
    status = " (sunset: avoid it)" if v.is_sunset(curie) else ""
    fields = (curie, v.label(curie, "en") or "", v.label(curie, "fr") or "")
    typer.echo("\t".join(map(printable, fields)) + status)
