"""kg.stores.export_cache: the lines a build keeps for each card's graph are those the store dumps."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.stores.export_cache import export_cache_file, keep_lines, read_lines, stored_lines

G = "https://w3id.org/policykg/policy/x/2024-01-01"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _dumped(nquads: bytes) -> list[bytes]:
    """What a real store (on disk, as the build's) dumps for the graph after a bulk load of `nquads`."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        store = ox.Store(folder)
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        lines = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(G)).split(b"\n")[:-1]
        del store
    return sorted(lines)


def _nq(*objects: str) -> bytes:
    return "".join(f"<{G}#s> <{G}#p> {o} <{G}> .\n" for o in objects).encode("utf-8")


@pytest.mark.parametrize("objects", [
    ['"P1Y12M"^^<http://www.w3.org/2001/XMLSchema#duration>', '"P2Y"^^<http://www.w3.org/2001/XMLSchema#duration>'],
    ['"01"^^<http://www.w3.org/2001/XMLSchema#integer>', '"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>',
     '"abc"^^<http://www.w3.org/2001/XMLSchema#integer>', '"ab"^^<http://www.w3.org/2001/XMLSchema#hexBinary>'],
    ['"tab\there"@EN-gb', '"del\x7f"', '"é \\"q\\" \\\\"', '"x"@fr'],
    [f'<<( <{G}#a> <{G}#b> "2024-1-01"^^<http://www.w3.org/2001/XMLSchema#date> )>>',
     f'<<( <{G}#a> <{G}#b> "Mixed"@FR )>>', f'<<( <{G}#a> <{G}#b> <{G}#c> )>>'],
    [f'<{G}#o>', '"same"', '"same"'],   # a duplicate line: the store keeps one
])
def test_the_lines_are_the_stores(objects):
    nquads = _nq(*objects)
    assert stored_lines(nquads, G) == _dumped(nquads)


def test_what_cannot_be_told_without_the_store():
    assert stored_lines(_nq("_:b1"), G) is None                        # the loader renames blank nodes
    assert stored_lines(_nq(f'<<( _:b <{G}#p> "x" )>>'), G) is None
    assert stored_lines(_nq('"_:b1 is text"'), G) is not None          # not a blank node
    assert stored_lines(_nq('"x"').replace(f"<{G}> .".encode(), b"<urn:x:other> ."), G) is None


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10)
_LITERAL = st.one_of(
    _TEXT.map(ox.Literal),
    st.builds(lambda t, lang: ox.Literal(t, language=lang), _TEXT, st.sampled_from(["fr", "EN-gb", "De"])),
    st.builds(lambda lex, dt: ox.Literal(lex, datatype=ox.NamedNode(XSD + dt)),
              st.sampled_from(["1", "01", "+1", "1.0", "1.50", "1e3", "P1Y12M", "PT60M", "2024-01-01", "true", "1",
                               "x", "2024-01-01T10:00:00+00:00", "AB", "ab"]),
              st.sampled_from(["integer", "decimal", "double", "float", "boolean", "duration", "dayTimeDuration",
                               "date", "dateTime", "hexBinary", "gYear", "string"])),
)


def _mapping_text(literal: ox.Literal) -> str:
    """A literal as kg.mapping writes it: only backslash, quote and line ends escaped."""
    value = literal.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if literal.language:
        return f'"{value}"@{literal.language}'
    if literal.datatype.value != XSD + "string":
        return f'"{value}"^^<{literal.datatype.value}>'
    return f'"{value}"'


@settings(max_examples=60, deadline=None)
@given(st.lists(_LITERAL, min_size=1, max_size=6))
def test_any_literal_gives_the_stores_lines(literals):
    nquads = _nq(*[_mapping_text(lit) for lit in literals])
    assert stored_lines(nquads, G) == _dumped(nquads)


def test_kept_lines_are_read_back(tmp_path):
    lines = [b'<urn:x:a> <urn:x:b> "c" .', b'<urn:x:a> <urn:x:b> "d" .']
    keep_lines(tmp_path / "cache", G, lines)   # the folder is made on first use
    assert read_lines(tmp_path / "cache", G) == lines
    keep_lines(tmp_path / "cache", G, [])
    assert read_lines(tmp_path / "cache", G) == []
    (tmp_path / "cache" / export_cache_file(G)).write_bytes(b"not zlib")
    assert read_lines(tmp_path / "cache", G) is None                 # a damaged file: read from the store
    assert read_lines(tmp_path / "none", G) is None
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [export_cache_file(G)]   # no temporary left


def test_a_write_in_place_never_goes_through_a_hard_link(tmp_path):
    """A build writes its generation's files in place: one the previous generation shares (a rebuild links
    the files of the graphs it keeps) must keep its old lines there."""
    import os
    keep_lines(tmp_path / "old", G, [b"<urn:x:a> <urn:x:b> <urn:x:old> ."])
    (tmp_path / "new").mkdir()
    os.link(tmp_path / "old" / export_cache_file(G), tmp_path / "new" / export_cache_file(G))
    keep_lines(tmp_path / "new", G, [b"<urn:x:a> <urn:x:b> <urn:x:new> ."], atomic=False)
    assert read_lines(tmp_path / "old", G) == [b"<urn:x:a> <urn:x:b> <urn:x:old> ."]
    assert read_lines(tmp_path / "new", G) == [b"<urn:x:a> <urn:x:b> <urn:x:new> ."]
