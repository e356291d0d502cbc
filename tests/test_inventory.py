"""Policy versions in the store (kg.inventory): SLUG is the latest version, SLUG@DATE one version, SLUG@*
every version, the same in validate, query --policy, export --policy and push --policy; `list` shows
every version and marks the latest."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib.namespace import RDF
from typer.testing import CliRunner

from kg.cli.main import app
from kg.errors import UsageError
from kg.inventory import latest_versions, list_policies, select_policies, vocabulary_graphs
from kg.stores import EmbeddedStore, PolicyStore
from kg.stores.sparql import with_values
from kg.stores.oxigraph import open_store

runner = CliRunner()
OLD, NEW = "whiteprovider@2024-05-19", "whiteprovider@2025-03-01"
NEW_GRAPH = "https://w3id.org/policykg/policy/whiteprovider/2025-03-01"


@pytest.fixture(scope="module")
def store(versions_store):
    return open_store(versions_store)


def keys(policies) -> list[str]:
    return [p.key for p in policies]


def test_list_holds_every_version(store):
    assert keys(list_policies(store)) == ["planethoster@2015-09-01", OLD, NEW]
    assert latest_versions(list_policies(store)) == {"planethoster@2015-09-01", NEW}


def test_slug_is_the_latest_version(store):
    assert keys(select_policies(store, ["whiteprovider"])) == [NEW]
    assert keys(select_policies(store, ["planethoster"])) == ["planethoster@2015-09-01"]


def test_slug_at_date_is_that_version(store):
    assert keys(select_policies(store, [OLD])) == [OLD]
    assert keys(select_policies(store, [NEW, OLD])) == [NEW, OLD]


def test_slug_at_star_is_every_version(store):
    assert keys(select_policies(store, ["whiteprovider@*"])) == [OLD, NEW]
    assert keys(select_policies(store, ["whiteprovider@*", "whiteprovider"])) == [OLD, NEW]   # no duplicates


def test_no_selector_is_every_version_of_every_policy(store):
    assert keys(select_policies(store, None)) == keys(list_policies(store))


@pytest.mark.parametrize("selector", ["nobody", "whiteprovider@2023-01-01", "nobody@*", "whiteprovider@"])
def test_unknown_selector_is_a_usage_error(store, selector):
    with pytest.raises(UsageError) as exc:
        select_policies(store, [selector])
    assert exc.value.id == "unknown-policy"
    assert "SLUG@*" in exc.value.fix or "@*" in exc.value.fix


def test_query_policy_binds_the_latest_or_the_named_version(versions_store):
    backend = EmbeddedStore(versions_store)
    assert backend.policy_graph_iri("whiteprovider").endswith("/whiteprovider/2025-03-01")
    assert backend.policy_graph_iri(OLD).endswith("/whiteprovider/2024-05-19")
    with pytest.raises(UsageError, match="2 versions"):
        backend.policy_graph_iri("whiteprovider@*")


def test_endpoint_refuses_every_version_for_a_query_policy():
    from kg.stores import SparqlEndpoint
    with pytest.raises(UsageError, match="every version"):   # refused before any request is sent
        SparqlEndpoint("http://127.0.0.1:9/query").policy_graph_iri("whiteprovider@*")


def test_push_selection_follows_the_selectors(versions_store):
    backend = EmbeddedStore(versions_store)
    graphs = backend.push_selection(["whiteprovider"])
    assert [g.rsplit("/", 2)[-2:] for g in graphs[1:]] == [["whiteprovider", "2025-03-01"]]
    assert len(backend.push_selection(["whiteprovider@*"])) == 1 + 2


def test_cli_list_marks_the_latest(versions_store):
    result = runner.invoke(app, ["list", "--store", str(versions_store)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.output.splitlines() if line.startswith(" whiteprovider")
             or line.startswith("whiteprovider")}
    assert "latest" in lines["2025-03-01"] and "latest" not in lines["2024-05-19"]


def test_cli_validate_slug_is_the_latest(versions_store):
    latest = runner.invoke(app, ["validate", "whiteprovider", "--store", str(versions_store), "--profile", "gdpr"])
    assert NEW in latest.stdout and OLD not in latest.stdout
    every = runner.invoke(app, ["validate", "whiteprovider@*", "--store", str(versions_store), "--profile", "gdpr"])
    assert OLD in every.stdout and NEW in every.stdout


def test_cli_export_policy_selectors(versions_store):
    latest = runner.invoke(app, ["export", "-f", "nq", "--policy", "whiteprovider", "--store", str(versions_store)])
    assert "/whiteprovider/2025-03-01>" in latest.stdout and "/whiteprovider/2024-05-19>" not in latest.stdout
    every = runner.invoke(app, ["export", "-f", "nq", "--policy", "whiteprovider@*", "--store", str(versions_store)])
    assert "/whiteprovider/2025-03-01>" in every.stdout and "/whiteprovider/2024-05-19>" in every.stdout


# --- the store interface (kg.stores.base): its SPARQL reads, which an endpoint uses, give what the embedded
# store's own pyoxigraph calls give --------------------------------------------------------------------------

class SparqlOnly(PolicyStore):
    """A store that answers only `select`, as an endpoint does (the values sent as a VALUES block in the text,
    kg.stores.sparql.with_values), here run by the embedded store: every other read is the interface's SPARQL."""
    kind = "sparql-only"

    def __init__(self, inner: EmbeddedStore):
        self.inner, self.sent = inner, []

    def __str__(self) -> str:
        return "sparql-only"

    def select(self, text, bindings=None):
        self.sent.append((text, dict(bindings or {})))
        return self.inner.select(with_values(text, bindings or {}))


@pytest.fixture(scope="module")
def pair(versions_store):
    embedded = EmbeddedStore(versions_store)
    return embedded, SparqlOnly(embedded)


def test_interface_inventory_and_graphs_by_sparql(pair):
    embedded, sparql = pair
    assert [(p.key, p.graph) for p in sparql.policies()] == [(p.key, p.graph) for p in embedded.policies()]
    assert keys(select_policies(sparql, ["whiteprovider@*"])) == [OLD, NEW]
    assert vocabulary_graphs(sparql) == vocabulary_graphs(embedded) == vocabulary_graphs(embedded.store)
    assert not sparql.contains_named_graph("https://w3id.org/policykg/policy/nobody/2020-01-01")
    for p in embedded.policies():
        graph = ox.NamedNode(p.graph)
        assert sparql.graph_triples(p.graph) == embedded.graph_triples(p.graph)
        assert sparql.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) == \
            embedded.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        statement = (None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDF.Statement)), graph)
        assert list(sparql.quads_for_pattern(*statement)) == list(embedded.quads_for_pattern(*statement))
    # every value is bound, none is in the text
    assert all(p.graph not in text for text, _ in sparql.sent for p in embedded.policies())
    assert any(b.get("g") == ox.NamedNode(NEW_GRAPH) for _, b in sparql.sent)


def test_interface_pattern_reads_refuse_what_cannot_be_bound(pair):
    _, sparql = pair
    with pytest.raises(TypeError):
        sparql.quads_for_pattern(None, None, None, None)          # the default graph is not read
    with pytest.raises(TypeError):
        sparql.quads_for_pattern(ox.BlankNode("b"), None, None, ox.NamedNode(NEW_GRAPH))
    with pytest.raises(TypeError):
        sparql.dump(format=ox.RdfFormat.N_QUADS, from_graph=ox.NamedNode(NEW_GRAPH))


def test_library_calls_take_a_store_of_any_kind(pair, versions_store):
    """export, diff and validate take a PolicyStore, an open pyoxigraph Store or a path: the same result."""
    from kg.diff import diff_targets
    from kg.export import FORMATS, export_store
    from kg.validate import validate_store
    embedded, sparql = pair
    nq = export_store(embedded.store, FORMATS["nq"], ["whiteprovider@*"])
    assert export_store(sparql, FORMATS["nq"], ["whiteprovider@*"]) == nq
    assert export_store(str(versions_store), FORMATS["nq"], ["whiteprovider@*"]) == nq
    from dataclasses import replace
    run = lambda store: [(r.policy, [replace(f, where=None) for f in r.findings])  # noqa: E731
                         for r in validate_store(store, [NEW]).reports]
    assert run(sparql) == run(embedded.store) == run(versions_store)
    # given by its path, the embedded store also gives each finding's card line (from its build); an endpoint
    # or an open store does not know the cards
    assert any(f.where for r in validate_store(versions_store, [NEW]).reports for f in r.findings)
    a = diff_targets(OLD, NEW, store=sparql, validate=False)
    assert a.changes and a.changes == diff_targets(OLD, NEW, store_path=versions_store, validate=False).changes


def test_the_embedded_store_keeps_its_versions_list(copy_store, monkeypatch):
    """The list of policy versions is read once per generation, then from the file the generation keeps (at
    10k policies the query takes 0.4-0.5 s): the same versions; a copied or damaged file is not read; opening
    the store for writing (`policykg reason`) drops it."""
    import json

    import kg.inventory
    from kg.stores.oxigraph import VERSIONS_FILE, current_generation
    path = copy_store()
    first = kg.inventory.select_policies(EmbeddedStore(path), None)
    kept = current_generation(path) / VERSIONS_FILE
    assert json.loads(kept.read_text(encoding="utf-8"))["generation"] == kept.parent.name

    def no_query(*args):
        raise AssertionError("the store was asked again")
    with monkeypatch.context() as m:
        m.setattr(kg.inventory, "_rows", no_query)
        assert kg.inventory.select_policies(EmbeddedStore(path), None) == first
        assert keys(kg.inventory.select_policies(EmbeddedStore(path), ["whiteprovider"])) == ["whiteprovider@2024-05-19"]
    for damaged in ('{"generation": "another", "versions": []}', "not json", '{"generation": "%s", "versions": [[1, 2]]}'
                    % kept.parent.name):
        kept.write_text(damaged, encoding="utf-8")
        assert kg.inventory.select_policies(EmbeddedStore(path), None) == first
    open_store(path, read_only=False)
    assert not kept.exists()
