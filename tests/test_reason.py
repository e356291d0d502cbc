"""kg.reason and `policykg reason`: the OWL view, HermiT on the seeds and on fixtures made wrong on purpose, the
inferred graph in the store. HermiT runs take a second or two each: the runs are shared (module fixtures)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import URIRef
from rdflib.namespace import OWL, RDF
from typer.testing import CliRunner

from kg import namespaces as ns
from kg import reason as rs
from kg.build import build
from kg.cli.main import app
from kg.errors import UsageError
from kg.inventory import list_policies
from kg.load_rdf import load_rdf_policies
from kg.mapping import policy_triples
from kg.stores.oxigraph import open_store

from .conftest import DATA, FIXTURES

REASON_FIXTURES = FIXTURES / "reason"
WP = ns.policy_graph_iri("whiteprovider", "2024-05-19")
PH = ns.policy_graph_iri("planethoster", "2015-09-01")
BAD = ns.policy_graph_iri("inconsistent", "2024-01-01")
UNSAT = ns.policy_graph_iri("unsatisfiable", "2024-01-01")
runner = CliRunner()

pytestmark = pytest.mark.slow   # HermiT (Java) runs


def needs_java() -> None:
    """Skip where no Java is installed (CI installs one: .ci/run)."""
    try:
        rs.java_executable()
    except rs.JavaMissingError:
        pytest.skip("no Java: the reasoners need it (docs/reasoning.md)")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The seeds and the reasoning fixtures in one store."""
    path = tmp_path_factory.mktemp("reason") / "store"
    build([DATA, REASON_FIXTURES], store=path)
    return path


@pytest.fixture(scope="module")
def run(store):
    """`policykg reason --format json` over the four policies, once: (exit code, {policy key: summary})."""
    needs_java()
    result = runner.invoke(app, ["reason", "--store", str(store), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, {s["policy"]: s for s in json.loads(result.stdout)}


def _graph(triples) -> rdflib.Graph:
    g = rdflib.Graph()
    for t in triples:
        g.add(t)
    return g


# --- the OWL view (no reasoner) --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wp_view(vocabulary, seed_policies):
    return rs.owl_view(_graph(policy_triples(seed_policies["whiteprovider"])), vocabulary)


def test_view_turns_concepts_used_as_values_into_individuals(wp_view):
    g = rdflib.Graph().parse(data=wp_view.ntriples, format="nt")
    value = rs.value_iri(ns.DPV.DirectMarketing)
    marketing = URIRef(WP + "#marketing-emails")
    assert (marketing, ns.DPV.hasPurpose, value) in g
    assert (value, RDF.type, ns.DPV.DirectMarketing) in g
    assert (ns.DPV.DirectMarketing, RDF.type, OWL.Class) in g
    assert wp_view.to_policy_term(str(value)) == ns.DPV.DirectMarketing
    classes = set(g.subjects(RDF.type, OWL.Class))
    individuals = set(g.subjects(RDF.type, OWL.NamedIndividual))
    assert classes and individuals and not classes & individuals     # no punning in the view


def test_view_keeps_hierarchy_ranges_and_disjointness(wp_view):
    g = rdflib.Graph().parse(data=wp_view.ntriples, format="nt")
    # skos:broader and the typing by a top concept both become rdfs:subClassOf, as in DPV's OWL variant
    assert (ns.DPV.DirectMarketing, rdflib.RDFS.subClassOf, ns.DPV.Marketing) in g
    assert (ns.DPV.DirectMarketing, rdflib.RDFS.subClassOf, ns.DPV.Purpose) in g
    assert (ns.DPV.hasPurpose, rdflib.RDFS.range, ns.DPV.Purpose) in g
    assert (ns.DPV.hasRecipientThirdParty, rdflib.RDFS.subPropertyOf, ns.DPV.hasRecipient) in g
    assert (ns.DPV.Purpose, OWL.disjointWith, ns.DPV.Data) in g or (ns.DPV.Data, OWL.disjointWith, ns.DPV.Purpose) in g
    assert not list(g.triples((None, rdflib.RDFS.domain, None)))     # dcam:domainIncludes is not a domain


def test_view_leaves_out_evidence_and_durations(wp_view):
    text = wp_view.ntriples.decode("utf-8")
    assert str(ns.OA) not in text and "#Statement>" not in text      # evidence stays in the policy graph
    assert str(rdflib.XSD.duration) not in text
    (left,) = [x for x in wp_view.left_out if x.reason == "datatype"]
    assert left.predicate == RDF.value and str(left.object) == "P2Y"
    assert left.object.datatype == rdflib.XSD.duration


def test_view_leaves_out_ill_typed_literals(vocabulary):
    g = rdflib.Graph()
    node = URIRef(WP + "#x")
    g.add((node, RDF.type, ns.DPV.Process))
    g.add((node, RDF.value, rdflib.Literal("two", datatype=rdflib.XSD.integer)))
    g.add((node, RDF.value, rdflib.Literal("2", datatype=rdflib.XSD.integer)))
    view = rs.owl_view(g, vocabulary)
    assert [(str(x.object), x.reason) for x in view.left_out] == [("two", "ill-typed")]
    assert b'"2"^^<http://www.w3.org/2001/XMLSchema#integer>' in view.ntriples


def test_disjoint_tops_share_no_term(vocabulary):
    """The declared disjointness holds in DPV 2.3 and the extension: no term falls under both of a pair."""
    terms = [t for t in vocabulary._terms]
    for a, b in rs.disjoint_pairs():
        both = [t for t in terms if vocabulary.is_a(t, a) and vocabulary.is_a(t, b)]
        assert not both, (a, b, both[:5])


# --- HermiT on the seeds and the fixtures ----------------------------------------------------------------------

def test_seeds_are_consistent(run):
    code, by_key = run
    for key in ("whiteprovider@2024-05-19", "planethoster@2015-09-01"):
        s = by_key[key]
        assert s["consistent"] and not s["unsatisfiable"], s
        assert s["reasoner"].startswith("HermiT ")
        assert s["inferred"]["types"] > 10 and s["inferred"]["edges"] > 10
        assert s["written_triples"] > s["inferred"]["triples"]          # + the provenance
    assert code == 1     # the fixtures below are findings


def test_duration_literals_are_reported(run):
    _, by_key = run
    left = by_key["whiteprovider@2024-05-19"]["left_out"]
    assert left == [{"fact": '#retention-duration rdf:value "P2Y"^^xsd:duration', "reason": "datatype"}]


def test_reasoner_infers_more_than_a_sparql_walk(run):
    """Entities used as recipients or data subjects are typed so by the property ranges: no walk gives it."""
    s = run[1]["planethoster@2015-09-01"]
    assert "#former-customers a dpv:DataSubject" in s["inferred"]["beyond_walk"]
    assert "dpv:ThirdParty a dpv:Recipient" in s["value_facts"]


def test_inconsistent_fixture(run):
    s = run[1]["inconsistent@2024-01-01"]
    assert not s["consistent"] and s["inferred_graph"] is None
    why = s["explanation"]
    assert "hasPurpose range Purpose" in why and "marketing hasPurpose pd:EmailAddress" in why
    assert "Data disjointWith Purpose" in why or "Purpose disjointWith Data" in why


def test_unsatisfiable_class_fixture(run):
    s = run[1]["unsatisfiable@2024-01-01"]
    assert s["consistent"] and s["unsatisfiable"] == ["#EmailPurpose"]


# --- the inferred graph ----------------------------------------------------------------------------------------

def test_inferred_graph_is_written_with_provenance(run, store):
    db = open_store(store)
    g = ox.NamedNode(rs.inferred_graph_iri(WP))
    quads = list(db.quads_for_pattern(None, None, None, g))
    assert len(quads) == run[1]["whiteprovider@2024-05-19"]["written_triples"]
    assert db.query(f"ASK {{ GRAPH {g} {{ {g} <{ns.PROV.wasDerivedFrom}> <{WP}> ; "
                    f"<{ns.PROV.wasGeneratedBy}>/<{ns.PROV.wasAssociatedWith}>/<{rdflib.RDFS.label}> ?r }} }}")
    third = f"<{WP}#no-third-party-sharing> <{ns.DPV.hasRecipient}> <{ns.DPV.ThirdParty}>"
    assert db.query(f"ASK {{ GRAPH {g} {{ {third} }} }}")                    # from dpv:hasRecipientThirdParty
    assert not db.query(f"ASK {{ GRAPH {g} {{ ?x a <{ns.DPV.PrivacyNotice}> }} }}")
    asserted = {(q.subject, q.predicate, q.object) for q in db.quads_for_pattern(None, None, None, ox.NamedNode(WP))}
    assert not any((q.subject, q.predicate, q.object) in asserted for q in quads)   # only new facts


def test_list_export_and_queries_ignore_inferred_graphs(run, store):
    db = open_store(store)
    assert sorted(p.key for p in list_policies(db)) == ["inconsistent@2024-01-01", "planethoster@2015-09-01",
                                                        "unsatisfiable@2024-01-01", "whiteprovider@2024-05-19"]
    result = runner.invoke(app, ["export", "--format", "nq", "--store", str(store)])
    assert result.exit_code == 0 and "/inferred>" not in result.stdout


def test_library_queries_ignore_inferred_graphs(run, store, tmp_path):
    """Every query of the library without a required parameter answers the same with the inferred graphs."""
    from kg.queries import find_queries, run_query
    from kg.stores import EmbeddedStore
    fresh = tmp_path / "fresh"
    build([DATA, REASON_FIXTURES], store=fresh)
    with_inferred, without = EmbeddedStore(store), EmbeddedStore(fresh)
    assert ox.NamedNode(rs.inferred_graph_iri(WP)) in set(with_inferred.store.named_graphs())
    checked = 0
    for query in find_queries().values():
        if any(p.required for p in query.params):
            continue
        assert run_query(with_inferred, query).rows == run_query(without, query).rows, query.name
        checked += 1
    assert checked > 10


def test_queries_can_use_the_inferred_graph(run, store, tmp_path):
    rq = tmp_path / "recipients.rq"
    rq.write_text("# title: recipients, inferred included\n# description: the inferred recipients\n"
                  "# columns: process recipient\n"
                  "PREFIX dpv: <https://w3id.org/dpv#>\nSELECT ?process ?recipient WHERE {\n"
                  f"  GRAPH <{rs.inferred_graph_iri(WP)}> {{ ?process dpv:hasRecipient ?recipient }}\n}}\n"
                  "ORDER BY ?process ?recipient\n", encoding="utf-8")
    result = runner.invoke(app, ["query", str(rq), "--store", str(store), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "#no-third-party-sharing,dpv:ThirdParty" in result.stdout


def test_drop_and_rebuild_remove_inferred_graphs(tmp_path):
    needs_java()
    path = tmp_path / "store"
    build([REASON_FIXTURES / "unsatisfiable.ttl"], store=path)
    graph = ox.NamedNode(rs.inferred_graph_iri(UNSAT))
    assert runner.invoke(app, ["reason", "--store", str(path)]).exit_code == 1   # the unsatisfiable class
    assert graph in set(open_store(path).named_graphs())
    result = runner.invoke(app, ["reason", "--drop", "--store", str(path)])
    assert result.exit_code == 0 and "dropped" in result.output
    assert graph not in set(open_store(path).named_graphs())
    result = runner.invoke(app, ["reason", "--store", str(path), "--lang", "fr"])
    assert "unsatisfiable@2024-01-01  cohérente" in result.stdout
    assert "classes insatisfiables: #EmailPurpose" in result.stdout and "écrit dans <" in result.stdout
    assert graph in set(open_store(path).named_graphs())
    build([REASON_FIXTURES / "unsatisfiable.ttl"], store=path)
    assert graph not in set(open_store(path).named_graphs())


# --- environment and usage errors ------------------------------------------------------------------------------

def test_no_java_exits_3(store):
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", rs.JAVA_ENV)}
    env["PATH"] = "/nonexistent"
    done = subprocess.run([sys.executable, "-m", "kg", "reason", "--policy", "whiteprovider", "--store", str(store)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("error[PKG-E080 java-missing]: the reasoners (HermiT, Pellet) need Java")
    assert "Traceback" not in done.stderr and "docs/reasoning.md" in done.stderr


def test_java_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv(rs.JAVA_ENV, str(tmp_path / "no-java"))
    with pytest.raises(rs.JavaMissingError):
        rs.java_executable()
    monkeypatch.setenv(rs.JAVA_ENV, "/usr/bin/java")
    if os.access("/usr/bin/java", os.X_OK):
        assert rs.java_executable() == "/usr/bin/java"


def test_pellet_runs_or_says_why(store):
    """Pellet as owlready2 0.51 ships it needs Java 25: with an older Java, a clear usage error (exit 2)."""
    needs_java()
    result = runner.invoke(app, ["reason", "--reasoner", "pellet", "--policy", "unsatisfiable", "--store", str(store),
                                 "--dry-run", "--format", "json"])
    if result.exit_code == 2:
        assert result.output.startswith("error[PKG-E082 reasoner-unavailable]: Pellet ")
        assert "use --reasoner hermit" in result.output
    else:
        assert result.exit_code == 1, result.output
        assert json.loads(result.stdout)[0]["unsatisfiable"] == ["#EmailPurpose"]


def test_unknown_reasoner_exits_2(store):
    result = runner.invoke(app, ["reason", "--reasoner", "fact++", "--store", str(store)])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E081 unknown-reasoner]")


def test_library_reason_on_a_file(vocabulary):
    """The library reasons on any policy graph (here an RDF file, not the store)."""
    needs_java()
    policy = load_rdf_policies(REASON_FIXTURES / "inconsistent.ttl")[0]
    result = rs.reason(policy.graph, vocabulary, policy.graph_iri, explain=False)
    assert not result.consistent and result.explanation is None and result.has_findings
    with pytest.raises(UsageError):
        rs.write_inferred(ox.Store(), result)
