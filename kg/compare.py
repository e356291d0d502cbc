"""Policies side by side: what each states, aspect by aspect, read with the library queries.

One row per aspect (data categories, purposes, recipients, retention, locations, rights), one column per
policy; each cell lists what that policy states, and an item stated by one policy only (of two or more)
is marked. The last row counts each policy's validation findings. Policies come from the store
(SLUG, SLUG@DATE) or from cards and RDF files, which are loaded into an in-memory store with the
vocabulary graph so the same queries answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import namespaces as ns
from .errors import UsageError
from .messages import text

FORMATS = ("table", "csv", "json")

# aspect -> (query, how an item is read from a result row, en, fr); the words in kg/messages.yaml
_QUERIES = {
    "personal-data": ("personal-data-by-policy", "personalData"),
    "purposes": ("purposes-by-policy", "purpose"),
    "recipients": ("recipients-and-third-parties", "recipient"),
    "retention": ("retention-periods", "duration"),
    "locations": ("locations-stated", "location"),
    "rights": ("rights-stated", "right"),
}
ASPECTS = {aspect: (*read, text("compare-aspects", aspect, "en"), text("compare-aspects", aspect, "fr"))
           for aspect, read in _QUERIES.items()}
FINDINGS_ROW = (text("compare", "findings", "en"), text("compare", "findings", "fr"))


@dataclass
class Comparison:
    policies: list[str]                                   # column keys (slug@version)
    items: dict[str, dict[str, set[str]]] = field(default_factory=dict)   # aspect -> item -> policies
    labels: dict[str, str] = field(default_factory=dict)  # item -> English label from the query
    findings: dict[str, dict[str, int]] = field(default_factory=dict)     # policy -> severity -> count

    def stated(self, aspect: str, policy: str) -> list[str]:
        return sorted(i for i, who in self.items.get(aspect, {}).items() if policy in who)

    def only(self, aspect: str, policy: str) -> list[str]:
        """What this policy states and none of the others (empty when there is one policy)."""
        if len(self.policies) < 2:
            return []
        return sorted(i for i, who in self.items.get(aspect, {}).items() if who == {policy})


def _cell(term) -> str:
    from .render import cell
    return cell(term)


def _item(aspect: str, row: dict) -> str | None:
    """The comparable item of a result row: a CURIE, or for a node of the policy its name; for a
    retention its value (or description) and whether it is a minimum."""
    if aspect == "retention":
        value = _cell(row["duration"]) or _cell(row["description"])
        return value + (" (minimum)" if _cell(row["minimum"]) == "true" else "") if value else None
    term = row[ASPECTS[aspect][1]]
    if term is None:
        return None
    text = _cell(term)
    if text.startswith(ns.POLICY_BASE):   # a node of the policy: its name compares across policies
        return _cell(row.get("name")) or "#" + text.rsplit("#", 1)[-1]
    return text


def _memory_store(sides, vocabulary):
    import pyoxigraph as ox

    from .stores import EmbeddedStore
    from .terms import ox_quads
    store = ox.Store()
    for _, g in sorted(vocabulary.graphs().items()):
        store.extend(ox_quads(g, ns.VOCAB_GRAPH))
    for side in sides:
        store.extend(ox_quads(side.graph, side.graph_iri))
    return EmbeddedStore("(memory)", store=store)


def compare_targets(targets: list[str], *, store_path=None, store=None, vocabulary=None, profiles="auto",
                    engine=None, validate: bool = True) -> Comparison:
    """Compare policies given as store selectors, cards or RDF files. SLUG targets are read from `store` (a
    PolicyStore: the embedded store or a SPARQL endpoint) when given, else from the embedded store at
    `store_path` (default .policykg/store)."""
    from .diff import load_side
    from .sources import is_file_target
    from .queries import load_query, run_query
    from .stores import EmbeddedStore
    from .stores.oxigraph import DEFAULT_STORE, open_store
    from .vocab import load_vocabulary

    vocabulary = vocabulary or load_vocabulary()
    if not targets:
        raise UsageError("compare needs at least one policy", None, "give SLUG, SLUG@DATE, cards or RDF files",
                         error_id="diff-input")
    if store is None and not all(map(is_file_target, targets)):
        store = EmbeddedStore(store_path or DEFAULT_STORE, store=open_store(store_path or DEFAULT_STORE))
    sides = [load_side(t, store=store, vocabulary=vocabulary) for t in targets]
    graphs = [s.graph_iri for s in sides]
    if len(set(graphs)) != len(graphs):
        twice = next(s for s in sides if graphs.count(s.graph_iri) > 1)
        raise UsageError(f"{twice.key} is given twice", None, "name each policy version once",
                         error_id="diff-input")
    # every target in the embedded store: the queries run there; otherwise on the sides' graphs, read once
    # for the findings anyway (from a server too: the answers are then the embedded store's by construction,
    # whatever the server's SPARQL dialect refuses, e.g. Virtuoso's EXISTS inside an expression)
    backend = store if isinstance(store, EmbeddedStore) and not any(map(is_file_target, targets)) \
        else _memory_store(sides, vocabulary)
    result = Comparison([s.key for s in sides])
    for aspect, (name, column, *_names) in ASPECTS.items():
        query = load_query(name)
        found: dict[str, set[str]] = {}
        for side in sides:
            answer = run_query(backend, query, {"policy": f"<{side.graph_iri}>"})
            for values in answer.rows:
                row = dict(zip(answer.columns, values))
                item = _item(aspect, row)
                if item:
                    found.setdefault(item, set()).add(side.key)
                    if row.get("label") is not None:
                        result.labels.setdefault(item, _cell(row["label"]))
        result.items[aspect] = found
    if validate:
        from .validate import DEFAULT_ENGINE, validate_graph
        for side in sides:
            report = validate_graph(side.graph, side.key, vocabulary, profiles=profiles,
                                    engine=engine or DEFAULT_ENGINE, locations=side.locations, source=side.origin)
            result.findings[side.key] = report.counts()
    return result


# --- output ---------------------------------------------------------------------------------------------

def _aspect_name(aspect: str, lang: str) -> str:
    names = ASPECTS[aspect][2:]
    return names[1] if lang == "fr" else names[0]


def _label(item: str, comparison: Comparison, vocabulary, lang: str) -> str:
    iri = ns.expand_curie(item) if ":" in item and not item.startswith("#") else None
    label = vocabulary.label(iri, lang) if iri and vocabulary is not None else None
    return label or comparison.labels.get(item, "")


def render_table(c: Comparison, lang: str = "en", vocabulary=None):
    """A rich Table; items, labels and policy keys are data: each made printable (one line per item, a
    newline inside one shows as \\n) and given as Text, never read as markup."""
    from rich.table import Table
    from rich.text import Text

    from .terminal import printable, rich_text
    only_mark = "* " + ("seule à le dire" if lang == "fr" else "stated by this policy only")
    table = Table("", caption=only_mark if len(c.policies) > 1 else None, show_lines=True)
    for policy in c.policies:
        table.add_column(rich_text(policy))
    for aspect in ASPECTS:
        cells = []
        for policy in c.policies:
            only = set(c.only(aspect, policy))
            lines = []
            for item in c.stated(aspect, policy):
                label = _label(item, c, vocabulary, lang)
                lines.append(("* " if item in only else "  ") + printable(item + (f" ({label})" if label else "")))
            cells.append(Text("\n".join(lines) or "—"))
        table.add_row(_aspect_name(aspect, lang), *cells)
    if c.findings:
        table.add_row(FINDINGS_ROW[1] if lang == "fr" else FINDINGS_ROW[0],
                      *(", ".join(f"{n} {s}" for s, n in c.findings[p].items()) for p in c.policies))
    return table


def render_csv(c: Comparison, lang: str = "en", vocabulary=None, raw: bool = False) -> str:
    """One line per (aspect, item): the item, its label, 1/0 per policy, and the policy that alone states
    it; then one line per finding severity with the counts. Items, labels and policy keys are made
    spreadsheet-safe (kg.render.spreadsheet_cell: a leading ' before = + - @ …) unless `raw`."""
    from .render import spreadsheet_cell, write_csv
    safe = (lambda text: text) if raw else spreadsheet_cell
    rows = [["aspect", "item", "label", *map(safe, c.policies), "only"]]
    for aspect in ASPECTS:
        for item, who in sorted(c.items.get(aspect, {}).items()):
            only = next(iter(who)) if len(who) == 1 and len(c.policies) > 1 else ""
            rows.append([aspect, safe(item), safe(_label(item, c, vocabulary, lang)),
                         *("1" if p in who else "0" for p in c.policies), safe(only)])
    for severity in ("violation", "warning", "info"):
        if c.findings:
            rows.append(["findings", severity, "", *(str(c.findings[p][severity]) for p in c.policies), ""])
    return write_csv(rows)


def render_json(c: Comparison, lang: str = "en", vocabulary=None) -> str:
    import json
    doc = {"policies": c.policies,
           "aspects": {aspect: {p: {"stated": c.stated(aspect, p), "only": c.only(aspect, p)} for p in c.policies}
                       for aspect in ASPECTS},
           "labels": {i: _label(i, c, vocabulary, lang) for a in c.items.values() for i in a},
           "findings": c.findings}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render(c: Comparison, fmt: str, lang: str = "en", vocabulary=None, raw_csv: bool = False):
    if fmt == "csv":
        return render_csv(c, lang, vocabulary, raw_csv)
    if fmt == "json":
        return render_json(c, lang, vocabulary)
    return render_table(c, lang, vocabulary)
