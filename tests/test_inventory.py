"""Policy versions in the store (kg.inventory): SLUG is the latest version, SLUG@DATE one version, SLUG@*
every version, the same in validate, query --policy, export --policy and push --policy; `list` shows
every version and marks the latest."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kg.cli.main import app
from kg.errors import UsageError
from kg.inventory import latest_versions, list_policies, select_policies
from kg.stores import EmbeddedStore
from kg.stores.oxigraph import open_store

runner = CliRunner()
OLD, NEW = "whiteprovider@2024-05-19", "whiteprovider@2025-03-01"


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
    assert backend.policy_graph("whiteprovider").endswith("/whiteprovider/2025-03-01")
    assert backend.policy_graph(OLD).endswith("/whiteprovider/2024-05-19")
    with pytest.raises(UsageError, match="2 versions"):
        backend.policy_graph("whiteprovider@*")


def test_endpoint_refuses_every_version_for_a_query_policy():
    from kg.stores import SparqlEndpoint
    with pytest.raises(UsageError, match="every version"):   # refused before any request is sent
        SparqlEndpoint("http://127.0.0.1:9/query").policy_graph("whiteprovider@*")


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
