"""kg.queries: parameters a library query binds as a VALUES block on the embedded store (`# values:`)."""
from __future__ import annotations

import pytest

from kg.queries import QueryError, find_queries, parse_query, run_query
from kg.stores import EmbeddedStore


def test_statement_evidence_by_subject_is_the_whole_answer_filtered(built_store):
    """The subject as a VALUES block (Oxigraph then plans from it) gives the rows the whole answer has for it."""
    store = EmbeddedStore(built_store[0])
    query = find_queries()["statement-evidence"]
    assert query.values == ["subject"]
    whole = run_query(store, query)
    subject = whole.rows[len(whole.rows) // 2][whole.columns.index("subject")]
    bound = run_query(store, query, params={"subject": subject.value})
    assert bound.rows and bound.rows == [r for r in whole.rows if r[whole.columns.index("subject")] == subject]
    assert "VALUES ?subject" in bound.text
    policy = bound.rows[0][0].value
    both = run_query(store, query, params={"subject": subject.value, "policy": policy})
    assert both.rows == [r for r in bound.rows if r[0].value == policy]


def test_values_must_name_a_parameter(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("# title: T\n# description: D\n# param: s IRI optional a subject\n# columns: s o\n"
                    "# values: s x\nSELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s ?o\n", encoding="utf-8")
    with pytest.raises(QueryError) as caught:
        parse_query(path)
    assert "'values: x' names no parameter" in str(caught.value)
