"""Reasoning over one policy: HermiT (or Pellet) through owlready2 on its OWL view (kg/owl_view.py, where
the view is explained), the facts entailed beyond a SPARQL walk of the hierarchy, and the inferred graph
written beside the policy's graph in the store (docs/reasoning.md).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD

from . import namespaces as ns
from .errors import EnvironmentError_, UsageError
from .owl_view import (BNODE_BASE, DCAM, DISJOINT_TOPS, OVERLAPPING_TOPS, VALUE_BASE, VIEW_IRI,  # noqa: F401
                       META_TYPES, WITHHELD_TYPES, LeftOut, OwlView, _in_vocab, disjoint_pairs, owl_view,
                       value_iri)

REASONERS = ("hermit", "pellet")
DEFAULT_REASONER = "hermit"
INFERRED_SUFFIX = "/inferred"
JAVA_ENV = "POLICYKG_JAVA"
EXPLAIN_TIMEOUT_S = 300


class ReasonerError(EnvironmentError_):
    id = "reasoner-failed"


class JavaMissingError(EnvironmentError_):
    id = "java-missing"


class ReasonerUnavailableError(UsageError):
    """The chosen reasoner cannot run with this Java (exit 2: choose the other one)."""
    id = "reasoner-unavailable"



# --- running the reasoner -------------------------------------------------------------------------------------

@dataclass
class ReasonResult:
    graph: str                            # the policy graph IRI
    reasoner: str                         # "HermiT 1.3.8.1099"
    consistent: bool
    explanation: str | None               # why it is inconsistent, as the reasoner explains it
    unsatisfiable: list[URIRef]
    inferred: list[tuple]                 # facts entailed and not asserted, in the policy's terms
    value_facts: list[tuple]              # types entailed for concepts used as values (never written)
    withheld: list[tuple]                 # entailed facts never written (WITHHELD_TYPES)
    view: OwlView
    seconds: dict[str, float]

    @property
    def inferred_graph(self) -> str:
        return inferred_graph_iri(self.graph)

    @property
    def has_findings(self) -> bool:
        return not self.consistent or bool(self.unsatisfiable)


def inferred_graph_iri(graph_iri: str) -> str:
    return graph_iri + INFERRED_SUFFIX


def java_executable() -> str:
    """The java command: $POLICYKG_JAVA, else $JAVA_HOME/bin/java, else `java` on PATH."""
    candidates = [os.environ.get(JAVA_ENV)]
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    candidates.append(shutil.which("java"))
    for c in candidates:
        if c and (shutil.which(c) or (Path(c).is_file() and os.access(c, os.X_OK))):
            return c
    raise JavaMissingError("the reasoners (HermiT, Pellet) need Java, and no java program was found",
                           os.environ.get(JAVA_ENV) or "PATH",
                           "install a Java runtime (e.g. `apt-get install default-jre-headless`; tested with "
                           f"OpenJDK 17), or set {JAVA_ENV} (or JAVA_HOME) to it; see docs/reasoning.md")


def reasoner_version(reasoner: str) -> str:
    import owlready2
    folder = Path(owlready2.__file__).parent
    if reasoner == "hermit":
        try:
            with zipfile.ZipFile(folder / "hermit" / "HermiT.jar") as jar:
                manifest = jar.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
            version = next((line.split(":", 1)[1].strip() for line in manifest.splitlines()
                            if line.startswith("Implementation-Version:")), "")
        except (OSError, KeyError, zipfile.BadZipFile):
            version = ""
        return f"HermiT {version}".strip()
    jars = sorted(p.name for p in (folder / "pellet").glob("pellet-*.jar"))
    return "Pellet " + (jars[0].removeprefix("pellet-").removesuffix(".jar") if jars else "")


def reason(policy: rdflib.Graph, vocabulary, graph_iri: str, reasoner: str = DEFAULT_REASONER,
           explain: bool = True) -> ReasonResult:
    """Build the OWL view of one policy graph, run the reasoner on it, and collect what it entails.
    When the view is inconsistent and `explain`, Pellet's explanation is added (see `explain_inconsistency`)."""
    if reasoner not in REASONERS:
        raise UsageError(f"unknown reasoner '{reasoner}'", None, "use --reasoner " + " or ".join(REASONERS),
                         error_id="unknown-reasoner")
    import owlready2

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    view = owl_view(policy, vocabulary)
    seconds["view"] = time.perf_counter() - t0
    java = java_executable()
    label = f"{reasoner_version(reasoner)} (owlready2 {owlready2.VERSION})"
    with tempfile.TemporaryDirectory(prefix="policykg-reason-") as tmp:
        world = owlready2.World()     # a fresh world per run: nothing is shared with another policy
        try:
            onto = world.get_ontology(VIEW_IRI).load(fileobj=io.BytesIO(view.ntriples), format="ntriples")
            t1 = time.perf_counter()
            consistent = True
            try:
                _run(owlready2, onto, reasoner, java, tmp)
            except owlready2.OwlReadyInconsistentOntologyError:
                consistent = False
            seconds["reasoner"] = time.perf_counter() - t1
            explanation = None
            if not consistent and explain:
                t2 = time.perf_counter()
                explanation = explain_inconsistency(view, java, tmp)
                seconds["explanation"] = time.perf_counter() - t2
            if consistent:
                unsatisfiable = sorted({view.to_policy_term(c.iri) for c in world.inconsistent_classes()
                                        if URIRef(c.iri) != OWL.Nothing}, key=str)
                inferred, value_facts, withheld = _entailed(owlready2, world, view)
            else:
                unsatisfiable, inferred, value_facts, withheld = [], [], [], []
        finally:
            world.close()
    seconds["total"] = time.perf_counter() - t0
    return ReasonResult(graph_iri, label, consistent, explanation, unsatisfiable, inferred, value_facts, withheld,
                        view, seconds)


def _run(owlready2, onto, reasoner: str, java: str, tmp: str) -> None:
    """Run the reasoner through owlready2 (its temporary files in `tmp`, its progress output swallowed)."""
    previous_java, previous_tmp = owlready2.JAVA_EXE, tempfile.tempdir
    owlready2.JAVA_EXE, tempfile.tempdir = java, tmp
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            if reasoner == "hermit":
                owlready2.sync_reasoner_hermit(onto, infer_property_values=True, debug=0)
            else:
                owlready2.sync_reasoner_pellet(onto, infer_property_values=True, debug=0)
    except owlready2.OwlReadyJavaError as exc:
        text = str(exc)
        if "UnsupportedClassVersionError" in text:
            raise ReasonerUnavailableError(
                f"{reasoner_version(reasoner)} as shipped with owlready2 {owlready2.VERSION} needs a newer Java than "
                f"{java} ({java_version(java)}): {_class_version_note(text)}", java,
                f"use --reasoner hermit (the default), or set {JAVA_ENV} to a newer Java; see docs/reasoning.md"
            ) from None
        raise ReasonerError(f"{reasoner} failed: {_first_lines(text)}", None,
                            "run again with --debug; if the message names a datatype or an axiom, report it "
                            "with the policy (docs/reasoning.md)") from None
    except FileNotFoundError as exc:   # java vanished between the check and the run
        raise JavaMissingError(f"cannot run {java}: {exc.strerror}", java,
                               f"install Java or set {JAVA_ENV}; see docs/reasoning.md") from None
    finally:
        owlready2.JAVA_EXE, tempfile.tempdir = previous_java, previous_tmp


def java_version(java: str) -> str:
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "version unknown"
    first = (done.stderr or done.stdout).strip().splitlines()
    return first[0] if first else "version unknown"


def _class_version_note(text: str) -> str:
    found = re.search(r"class file version (\d+)\.0\), this version of the Java Runtime only recognizes class "
                      r"file versions up to (\d+)", text)
    if not found:
        return _first_lines(text, 2)
    need, have = int(found.group(1)) - 44, int(found.group(2)) - 44   # class file 61 = Java 17
    return f"its Java code is compiled for Java {need}, this Java runs up to Java {have}"


def _pellet_classpath() -> str:
    import owlready2
    folder = Path(owlready2.__file__).parent / "pellet"
    return os.pathsep.join(str(p) for p in sorted(folder.glob("*.jar")))


def explain_inconsistency(view: OwlView, java: str, tmp: str) -> str | None:
    """Why the view is inconsistent: the axioms `pellet explain` gives (the command owlready2 runs for its
    explanations; HermiT gives none), with the view's IRIs put back as the policy's terms."""
    path = Path(tmp) / "view-explain.nt"
    path.write_bytes(view.ntriples)
    command = [java, "-Xmx2000M", "-cp", _pellet_classpath(), "pellet.Pellet", "explain", "--ignore-imports",
               str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=EXPLAIN_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line.rstrip() for line in done.stdout.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("Explanation")), None)
    if start is None:
        return None
    text = "\n".join(line for line in lines[start + 1:] if line.strip())
    return _policy_names(text, view) or None


def _policy_names(text: str, view: OwlView) -> str:
    """Pellet names entities by their local names: put CURIEs back for the concepts used as values."""
    for iri, concept in sorted(view.values.items(), key=lambda kv: -len(kv[0])):
        local = iri[len(VALUE_BASE):]
        text = text.replace(local, ns.shorten(str(concept)))
    return text


def _first_lines(text: str, n: int = 3) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " / ".join(lines[:n])


def _entailed(owlready2, world, view: OwlView) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Types and object-property edges of the policy's own nodes that the reasoner entails and the policy
    does not assert, in the policy's terms; the types entailed for concepts used as values; the entailed
    facts never written (WITHHELD_TYPES)."""
    inferred, value_facts, withheld = set(), set(), set()
    own = {iri for iri, node in view.individuals.items() if not _in_vocab(node)}
    for iri in own:
        ind = world[iri]
        if ind is None:
            continue
        subject = view.individuals[iri]
        for cls in ind.is_a:
            if not isinstance(cls, owlready2.ThingClass):
                continue
            for c in cls.ancestors():
                triple = (subject, RDF.type, view.to_policy_term(c.iri))
                if isinstance(c, owlready2.ThingClass) and URIRef(c.iri) not in META_TYPES \
                        and triple not in view.asserted:
                    (withheld if triple[2] in WITHHELD_TYPES else inferred).add(triple)
    # HermiT's property values (owlready2's infer_property_values) list asserted pairs only: the edges
    # entailed through the property hierarchy the reasoner classified are added here
    declared = {str(p) for p in view.object_properties}
    for prop in world.object_properties():
        if prop.iri not in declared:
            continue
        supers = [a for a in prop.ancestors() if getattr(a, "iri", None) in declared]
        for s, o in prop.get_relations():
            if getattr(s, "iri", None) not in own or not hasattr(o, "iri"):
                continue
            for p in supers:
                triple = (view.individuals[s.iri], URIRef(p.iri), view.to_policy_term(o.iri))
                if triple not in view.asserted:
                    inferred.add(triple)
    # a concept used as a value may get types its class hierarchy does not give (dpv:Authority as the value of
    # dpv:hasRecipient is a dpv:Recipient): reported, never written (it would be a fact about the concept)
    for iri, concept in view.values.items():
        ind, cls = world[iri], world[str(concept)]
        if ind is None or cls is None:
            continue
        told = {c.iri for c in cls.ancestors()}
        for c in {a for t in ind.is_a if isinstance(t, owlready2.ThingClass) for a in t.ancestors()}:
            if c.iri not in told and URIRef(c.iri) not in META_TYPES:
                value_facts.add((concept, RDF.type, view.to_policy_term(c.iri)))
    key = lambda t: tuple(str(x) for x in t)  # noqa: E731
    return sorted(inferred, key=key), sorted(value_facts, key=key), sorted(withheld, key=key)


# --- what a SPARQL walk already gives ---------------------------------------------------------------------

_WALK_TYPES = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?policy ?s ?c WHERE {{
  GRAPH ?policy {{ ?s a ?t }}
  GRAPH <{ns.VOCAB_GRAPH}> {{ ?t (rdfs:subClassOf|skos:broader)* ?c }}
}}"""
_WALK_EDGES = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?policy ?s ?p ?o WHERE {{
  GRAPH ?policy {{ ?s ?q ?o }}
  GRAPH <{ns.VOCAB_GRAPH}> {{ ?q rdfs:subPropertyOf* ?p }}
}}"""


def walk_baseline(store: ox.Store, graph_iri: str) -> set[tuple]:
    """The types and edges of a stored policy that plain SPARQL gives without a reasoner: its asserted
    types walked up `(rdfs:subClassOf|skos:broader)*` and its edges up `rdfs:subPropertyOf*` in the
    vocabulary graph (the walks the query library uses)."""
    from .terms import from_ox
    bindings = {ox.Variable("policy"): ox.NamedNode(graph_iri)}
    out = {(from_ox(row["s"]), RDF.type, from_ox(row["c"])) for row in store.query(_WALK_TYPES, substitutions=bindings)}
    out |= {(from_ox(row["s"]), from_ox(row["p"]), from_ox(row["o"]))
            for row in store.query(_WALK_EDGES, substitutions=bindings)}
    return out


def beyond_walk(result: ReasonResult, baseline: set[tuple]) -> list[tuple]:
    """The inferred facts that the SPARQL walks do not give."""
    return [t for t in result.inferred if t not in baseline]


# --- the inferred graph in the store -------------------------------------------------------------------------

def provenance(result: ReasonResult, ended: str | None = None) -> list[tuple]:
    """Where the inferred graph comes from: the policy graph, the reasoner and its version, the time."""
    graph = URIRef(result.inferred_graph)
    activity = URIRef(result.inferred_graph + "#reasoning")
    agent = URIRef(result.inferred_graph + "#reasoner")
    ended = ended or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return [
        (graph, PROV.wasDerivedFrom, URIRef(result.graph)),
        (graph, PROV.wasGeneratedBy, activity),
        (graph, DCTERMS.description, Literal(
            f"Facts entailed by the OWL view of {result.graph} and not asserted there; "
            "`policykg reason --drop` removes this graph, `policykg build` too.", lang="en")),
        (activity, RDF.type, PROV.Activity),
        (activity, PROV.used, URIRef(result.graph)),
        (activity, PROV.wasAssociatedWith, agent),
        (activity, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime)),
        (agent, RDF.type, PROV.SoftwareAgent),
        (agent, RDFS.label, Literal(result.reasoner)),
    ]


def write_inferred(store: ox.Store, result: ReasonResult) -> int:
    """Replace the policy's inferred graph by the result's facts and provenance, atomically: the quads go
    to a pending graph (one transaction), then one SPARQL update moves it over the old graph. Returns the
    number of triples written."""
    from .terms import ox_quads
    if not result.consistent:
        raise UsageError(f"{result.graph} is inconsistent: there are no inferred facts to write", None,
                         "fix the policy first (see the explanation)", error_id="inconsistent-policy")
    target = ox.NamedNode(result.inferred_graph)
    pending = ox.NamedNode(result.inferred_graph + "-pending")
    triples = list(result.inferred) + provenance(result)
    store.remove_graph(pending)
    store.extend(ox_quads(triples, pending.value))
    store.update(f"MOVE SILENT {pending} TO {target}")   # two checked IRIs (ox.NamedNode), no user text
    store.flush()   # readers that open the store now see the new graph
    return len(triples)


def drop_inferred(store: ox.Store, graph_iri: str) -> int:
    """Remove a policy's inferred graph; returns how many triples it held (0: there was none)."""
    target = ox.NamedNode(inferred_graph_iri(graph_iri))
    count = sum(1 for _ in store.quads_for_pattern(None, None, None, target))
    store.remove_graph(target)
    store.flush()
    return count


def stored_graph(store: ox.Store, graph_iri: str) -> rdflib.Graph:
    """One stored policy graph as an rdflib Graph."""
    from .terms import rdflib_graph
    return rdflib_graph(store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)))


# --- a store's policies ---------------------------------------------------------------------------------------
# The library calls behind `policykg reason`. The store is opened and released inside them, so that it is
# closed (its files flushed) before the caller goes on, even when something keeps a traceback.

def reason_store(store_path, selectors: list[str] | None = None, *, reasoner: str = DEFAULT_REASONER,
                 dry_run: bool = False, vocab_dir=None) -> list[dict]:
    """Reason over the chosen policies of the store at `store_path` (all when `selectors` is None): a
    summary per policy (`summary`), the inferred graph of each consistent one written (not with
    `dry_run`), and the old inferred graph of an inconsistent one dropped (its facts no longer hold)."""
    from .inventory import select_policies
    from .stores.oxigraph import open_store
    from .vocab import load_vocabulary
    java_executable()   # no Java: say so before opening the store for writing
    db = open_store(store_path, read_only=dry_run)
    chosen = select_policies(db, selectors)
    vocabulary = load_vocabulary(vocab_dir)
    summaries = []
    for p in chosen:
        result = reason(stored_graph(db, p.graph), vocabulary, p.graph, reasoner)
        written = None
        if not dry_run:
            if result.consistent:
                written = write_inferred(db, result)
            else:
                drop_inferred(db, p.graph)
        beyond = beyond_walk(result, walk_baseline(db, p.graph)) if result.consistent else []
        summaries.append(summary(result, beyond, written, p.key))
    return summaries


def drop_store_inferences(store_path, selectors: list[str] | None = None) -> list[tuple[str, str, int]]:
    """Remove the inferred graphs of the chosen policies: (policy key, inferred graph, triples removed)."""
    from .inventory import select_policies
    from .stores.oxigraph import open_store
    db = open_store(store_path, read_only=False)
    return [(p.key, inferred_graph_iri(p.graph), drop_inferred(db, p.graph)) for p in select_policies(db, selectors)]


def summary(result: ReasonResult, beyond: list[tuple], written: int | None, key: str) -> dict:
    """A reasoning result as plain data (what `policykg reason --format json` prints)."""
    g = result.graph
    return {
        "policy": key, "graph": g, "reasoner": result.reasoner, "consistent": result.consistent,
        "explanation": result.explanation,
        "unsatisfiable": [_short(c, g) for c in result.unsatisfiable],
        "view": {"triples": result.view.triples, "policy_triples": result.view.policy_triples,
                 "skipped": result.view.skipped},
        "left_out": [{"fact": _fact((x.subject, x.predicate, x.object), g), "reason": x.reason}
                     for x in result.view.left_out],
        "inferred": {"triples": len(result.inferred),
                     "types": sum(1 for t in result.inferred if t[1] == RDF.type),
                     "edges": sum(1 for t in result.inferred if t[1] != RDF.type),
                     "beyond_walk": [_fact(t, g) for t in beyond]},
        "value_facts": [_fact(t, g) for t in result.value_facts],
        "withheld": [_fact(t, g) for t in result.withheld],
        "inferred_graph": result.inferred_graph if written is not None else None,
        "written_triples": written,
        "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
    }


def _short(term, graph: str) -> str:
    text = str(term)
    if text.startswith(graph + "#"):
        return "#" + text[len(graph) + 1:]
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        return f'"{term}"' + (f"^^{ns.shorten(str(term.datatype))}" if term.datatype else "")
    return ns.shorten(text)


def _fact(t: tuple, graph: str) -> str:
    s, p, o = t
    return f"{_short(s, graph)} {'a' if p == RDF.type else _short(p, graph)} {_short(o, graph)}"
