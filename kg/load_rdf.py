"""Load policies written directly in RDF (Turtle, TriG, N-Quads, N-Triples, JSON-LD).

A user with RDF tooling should not have to write YAML: a file that describes one or more
`dpv:PrivacyNotice`s is accepted as it is. Terms of the DPV namespaces are checked against the
vocabulary like a card's. Nothing is fetched from the network: a JSON-LD document may only use the
project's context (inline, or by its IRI, which is resolved to the shipped file), unless the user allows
remote contexts (`--allow-remote-context`); `owl:imports` is kept as a triple and never followed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF

from . import namespaces as ns
from .errors import EnvironmentError_, Location, RdfSyntaxError, UnknownTermError
from .evidence import HAS_BODY, char_target, parse_char_target, reify
from .files import decode_utf8, max_input_size, read_input
from .terms import from_ox

RDF_SUFFIXES = {".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS,
                ".nt": ox.RdfFormat.N_TRIPLES, ".jsonld": ox.RdfFormat.JSON_LD, ".json": ox.RdfFormat.JSON_LD}
CONTEXT_IRI = ns.BASE + "context.jsonld"
REMOTE_CONTEXT_TIMEOUT_S = 10
_allow_remote_context = False   # set by --allow-remote-context


def set_allow_remote_context(allow: bool) -> None:
    global _allow_remote_context
    _allow_remote_context = bool(allow)


@dataclass
class RdfPolicy:
    """One policy version read from an RDF file: its named graph and where it came from."""
    key: str
    graph_iri: str
    graph: Graph
    path: str

    @property
    def statement_count(self) -> int:
        return len(set(self.graph.subjects(RDF.type, ns.OA.Annotation)))


def _local_context() -> dict:
    from .resources import ontology_dir
    return json.loads((ontology_dir() / "context.jsonld").read_text(encoding="utf-8"))["@context"]


def _inline_contexts(doc, path: Path, allow_remote: bool = False, depth: int = 0):
    """Replace references to the project's context by the shipped context; refuse other remote ones
    (or, when allowed, fetch and inline them)."""
    if isinstance(doc, dict):
        out = {}
        for key, value in doc.items():
            if key == "@context":
                out[key] = _resolve_context(value, path, allow_remote, depth)
            else:
                out[key] = _inline_contexts(value, path, allow_remote, depth)
        return out
    if isinstance(doc, list):
        return [_inline_contexts(item, path, allow_remote, depth) for item in doc]
    return doc


def _resolve_context(value, path: Path, allow_remote: bool = False, depth: int = 0):
    if isinstance(value, list):
        return [_resolve_context(v, path, allow_remote, depth) for v in value]
    if isinstance(value, str):
        if value == CONTEXT_IRI:
            return _local_context()
        if allow_remote and value.startswith(("http://", "https://")) and depth < 4:
            return _resolve_context(_fetch_context(value, path), path, allow_remote, depth + 1)
        raise RdfSyntaxError(f"the JSON-LD document uses the remote context {value}", str(path),
                             "policykg reads no network at parse time: inline the context in the document, "
                             f"use the project's context ({CONTEXT_IRI}), or pass --allow-remote-context",
                             error_id="remote-context")
    return value


def _fetch_context(url: str, path: Path):
    """A remote JSON-LD context's `@context` value (only with --allow-remote-context)."""
    import urllib.request
    limit = max_input_size()
    try:
        request = urllib.request.Request(url, headers={"Accept": "application/ld+json, application/json"})
        with urllib.request.urlopen(request, timeout=REMOTE_CONTEXT_TIMEOUT_S) as response:
            data = response.read(limit + 1)
        if len(data) > limit:
            raise ValueError(f"larger than {limit:,} bytes")
        doc = json.loads(data)
        return doc["@context"] if isinstance(doc, dict) and "@context" in doc else doc
    except Exception as exc:  # noqa: BLE001 - network, HTTP status, JSON: all say the same to the user
        raise EnvironmentError_(f"cannot read the remote JSON-LD context {url}: {exc}", str(path),
                                "check the network and the URL, or inline the context in the document",
                                error_id="remote-context-failed") from None


def _parse(path: Path, allow_remote_context: bool | None = None) -> list[ox.Quad]:
    fmt = RDF_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise RdfSyntaxError(f"{path} is neither a card (.yaml) nor an RDF file", str(path),
                             "use one of the extensions .yaml " + " ".join(sorted(RDF_SUFFIXES)),
                             error_id="unknown-format")
    data = read_input(path, "policy file")
    decode_utf8(data, path)   # every RDF syntax policykg reads is UTF-8: say where a stray byte is
    allow = _allow_remote_context if allow_remote_context is None else allow_remote_context
    try:
        if fmt == ox.RdfFormat.JSON_LD:
            doc = json.loads(data)
            data = json.dumps(_inline_contexts(doc, path, allow)).encode()
        return list(ox.parse(data, format=fmt, base_iri=path.resolve().as_uri()))
    except RecursionError:
        raise RdfSyntaxError("the JSON-LD document is nested too deeply to read", str(path),
                             "flatten the document (a policy needs a few levels of nesting, not thousands)") from None
    except json.JSONDecodeError as exc:
        raise RdfSyntaxError(f"JSON syntax error: {exc.msg}", Location(str(path), exc.lineno, exc.colno),
                             "fix the JSON at that line") from None
    except SyntaxError as exc:
        line, col = _position(exc)
        raise RdfSyntaxError(f"{fmt.name.replace('_', '-')} syntax error: {exc.msg if hasattr(exc, 'msg') else exc}",
                             Location(str(path), line, col), "fix the syntax at that line") from None


def _position(exc: SyntaxError) -> tuple[int | None, int | None]:
    lineno = getattr(exc, "lineno", None)
    offset = getattr(exc, "offset", None)
    return (lineno, offset) if lineno else (None, None)


def load_rdf_policies(path: str | Path, *, vocabulary=None, allow_remote_context: bool | None = None) -> list[RdfPolicy]:
    """Every policy version in an RDF file: each named graph with a dpv:PrivacyNotice, or, for a
    file of triples, the file's one graph."""
    from .vocab import load_vocabulary

    path = Path(path)
    vocab = vocabulary or load_vocabulary()
    quads = _parse(path, allow_remote_context)
    for q in quads:
        _check_quad(path, q)
    graphs: dict[str | None, Graph] = {}
    for q in reify(quads):   # the RDF 1.1 form of the evidence (an export of the store has triple terms)
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None
        graphs.setdefault(name, Graph()).add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
    _check_graphs(path, graphs)
    _check_terms(path, graphs.values(), vocab)
    for graph in graphs.values():
        _selectors_as_spans(graph)
        _check_spans(path, graph)
    policies = []
    for name, graph in sorted(graphs.items(), key=lambda kv: kv[0] or ""):
        notices = sorted(set(graph.subjects(RDF.type, ns.DPV.PrivacyNotice)))
        if not notices:
            continue
        iri = name or _graph_name_for(notices[0], graph, path)
        ident = graph.value(notices[0], DCTERMS.identifier)
        key = str(ident) if ident else iri.removeprefix(ns.POLICY_BASE).replace("/", "@", 1)
        policies.append(RdfPolicy(key, iri, graph, str(path)))
    if not policies:
        raise RdfSyntaxError(f"{path} describes no dpv:PrivacyNotice", str(path),
                             "type the policy node 'a dpv:PrivacyNotice' (see docs/mapping.md)",
                             error_id="no-policy")
    return policies


# A policy's own graph: <BASE>policy/<slug>/<version>, nothing after it (not …/inferred, which `reason`
# writes, nor the vocabulary graph every policy's queries read).
_POLICY_GRAPH = re.compile(re.escape(ns.POLICY_BASE) + r"[a-z0-9][a-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*")


def _check_quad(path: Path, quad: ox.Quad) -> None:
    """An RDF 1.2 triple term has its place only as an annotation's body (the evidence as the store holds
    it, docs/mapping.md); blank-node graph names have none in a policy."""
    obj = quad.object
    body = quad.predicate == HAS_BODY and isinstance(obj, ox.Triple) and not isinstance(obj.object, ox.Triple)
    for term in (quad.subject,) if body else (quad.subject, obj):
        if isinstance(term, ox.Triple):
            raise RdfSyntaxError(f"the file holds an RDF 1.2 triple term (RDF-star) outside an annotation's "
                                 f"body: <<( {term} )>>", str(path),
                                 "state the triple itself; a quote's facts are triple terms only as the objects "
                                 "of oa:hasBody (or rdf:Statement nodes, in RDF 1.1), as docs/mapping.md shows")
    if isinstance(quad.graph_name, ox.BlankNode):
        raise RdfSyntaxError(f"the file has a graph named by a blank node ({quad.graph_name})", str(path),
                             f"name each policy's graph {ns.POLICY_BASE}<slug>/<version>",
                             error_id="outside-policy")


def _check_graphs(path: Path, graphs: dict[str | None, Graph]) -> None:
    """An input writes only its own policy graphs: every named graph must be one policy version's graph
    (not the shared vocabulary graph, not a policy's /inferred graph, not any other IRI), and no triple
    may describe a vocabulary term (a subject in a DPV or policykg extension namespace), which would change
    what the vocabulary says for the policy."""
    for name in sorted(n for n in graphs if n is not None):
        if not _POLICY_GRAPH.fullmatch(name):
            why = ("the shared vocabulary graph" if name.startswith(ns.VOCAB_GRAPH) else
                   "a graph of inferences that 'policykg reason' writes" if name.endswith("/inferred") else
                   "not a policy graph")
            raise RdfSyntaxError(f"the file writes into the graph <{name}>: {why}", str(path),
                                 f"an input may only write its own policy graph, {ns.POLICY_BASE}<slug>/<version>: "
                                 "move the triples there or remove them (export without --with-vocabulary)",
                                 error_id="outside-policy")
    vocabulary_bases = tuple(ns.PREFIXES[p] for p in ns.VOCAB_PREFIXES)
    for graph in graphs.values():
        for subject in sorted({s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(vocabulary_bases)}):
            raise RdfSyntaxError(f"the file makes statements about the vocabulary term <{subject}>", str(path),
                                 "describe the policy, not the vocabulary: remove the triples whose subject is a "
                                 "DPV or policykg term (new terms go in ontology/, see docs/vocabulary.md)",
                                 error_id="outside-policy")


def _graph_name_for(notice, graph: Graph, path: Path) -> str:
    text = str(notice)
    if text.startswith(ns.POLICY_BASE) and "#" in text:
        return text.split("#", 1)[0]
    ident = graph.value(notice, DCTERMS.identifier)
    if ident and "@" in str(ident):
        slug, version = str(ident).split("@", 1)
        return ns.policy_graph_iri(slug, version)
    return ns.policy_graph_iri(path.stem.lower(), "undated")


def _selectors_as_spans(graph: Graph) -> None:
    """The Web Annotation target written with selectors (an oa:SpecificResource with a TextQuoteSelector
    and a TextPositionSelector, as policykg wrote it before 0.2) becomes the span IRI policykg writes now,
    `<snapshot#char=start,end>` with its oa:exact; without a position or a source, the target keeps its IRI
    and takes the oa:exact. Either way the quote is where queries and shapes look for it."""
    for ann, target in sorted(graph.subject_objects(ns.OA.hasTarget), key=str):
        selectors = list(graph.objects(target, ns.OA.hasSelector))
        if not selectors:
            continue
        exact = next((graph.value(s, ns.OA.exact) for s in selectors if graph.value(s, ns.OA.exact) is not None), None)
        start = next((graph.value(s, ns.OA.start) for s in selectors if graph.value(s, ns.OA.start) is not None), None)
        end = next((graph.value(s, ns.OA.end) for s in selectors if graph.value(s, ns.OA.end) is not None), None)
        source = graph.value(target, ns.OA.hasSource)
        if exact is None:
            continue
        span = target
        if start is not None and end is not None and source is not None and str(start).isdigit() and str(end).isdigit():
            span = URIRef(char_target(str(source), int(str(start)), int(str(end))))
            graph.remove((ann, ns.OA.hasTarget, target))
            graph.add((ann, ns.OA.hasTarget, span))
            if not any(graph.subjects(ns.OA.hasTarget, target)):
                graph.remove((target, None, None))
        for sel in selectors:
            graph.remove((target, ns.OA.hasSelector, sel))
            if not any(graph.subjects(ns.OA.hasSelector, sel)):
                graph.remove((sel, None, None))
        graph.add((span, ns.OA.exact, exact))


def _check_spans(path: Path, graph: Graph) -> None:
    """A span `<snapshot#char=start,end>` must be as long as its quote: end - start is the quote's length in
    code points. (The snapshot itself is not at hand for an RDF input, so this is the check that can be
    made: offsets typed by hand or computed in bytes fail it.)"""
    for span, exact in sorted(graph.subject_objects(ns.OA.exact), key=str):
        parsed = parse_char_target(str(span))
        if parsed is None:
            continue
        _, first, last = parsed
        if last < first or last - first != len(str(exact)):
            raise RdfSyntaxError(
                f"the span {span} (start {first}, end {last}) does not select the quote "
                f"of {len(str(exact))} characters", Location(str(path), field=str(span)),
                "write #char=start,end with end = start + the length of oa:exact in characters (code points, "
                "not bytes), or rebuild the file from a card", error_id="quote-offsets")


def _check_terms(path: Path, graphs, vocab) -> None:
    namespaces = [(p, ns.PREFIXES[p]) for p in ns.VOCAB_PREFIXES]
    for graph in graphs:
        for triple in graph:
            for term in triple:
                if not isinstance(term, URIRef):
                    continue
                text = str(term)
                for prefix, base in namespaces:
                    if text.startswith(base) and not vocab.exists(text):
                        curie = f"{prefix}:{text[len(base):]}"
                        close = vocab.suggest(curie)
                        raise UnknownTermError(
                            f"'{curie}' is not a term of DPV {vocab.version} or of the extension", str(path),
                            ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close
                            else "check the spelling against the DPV documentation")
