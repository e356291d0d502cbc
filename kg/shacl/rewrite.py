"""The SPARQL text of a SHACL-SPARQL constraint, rewritten: the batched form (one query for all focus nodes),
the pre-bound form (the query cut where $this goes), and two rewrites for oxigraph's query planner.

Separate from compiling (`shapes`), which calls these once per constraint, because this is text work on the
query alone (a tokenizer and a walk of its groups), with its own conditions of equivalence to SHACL's
pre-binding; tests/test_shacl.py checks each on queries written for it.
"""
from __future__ import annotations

import re

# ---------------------------------------------------------------------------------------------
# A rewrite for the query planner
# ---------------------------------------------------------------------------------------------

_CLOSURE_FILTER = re.compile(
    r"(?P<lead>[.{}]\s*)(?P<s>[?$]\w+|<[^<>\s]*>|[\w-]*:[\w-]*)\s+(?P<path>[^\s{}.;,]+[*+])\s+(?P<var>\?\w+)\s*\.?\s*"
    r"FILTER\s*\(\s*(?P=var)\s+IN\s*\((?P<values>[^()]*)\)\s*\)")
_IRI_TERM = re.compile(r"<[^<>\s]*>|[A-Za-z][\w-]*:[\w-]*")


def _closure_filters_to_unions(select: str) -> str:
    """`?x skos:broader* ?k . FILTER (?k IN (a, b))` becomes
    `{ ?x skos:broader* a BIND (a AS ?k) } UNION { ?x skos:broader* b BIND (b AS ?k) }`: the same
    solutions (a * or + path gives each (start, end) pair once, so one per listed concept reached, with
    ?k bound to it), but oxigraph evaluates each closure from its constant end instead of over every node
    of the graph, which it does inside EXISTS (profiled: 0.8 s -> 1.4 ms for gdpr-5-1-c-minimisation on
    WhiteProvider). Applied only when the FILTER directly follows the path pattern (same group) and
    lists IRIs."""
    def union(m: re.Match) -> str:
        var = m.group("var")
        values = [v.strip() for v in m.group("values").split(",")]
        if not values or not all(_IRI_TERM.fullmatch(v) for v in values):
            return m.group(0)
        branches = " UNION ".join("{ %s %s %s BIND (%s AS %s) }" % (m.group("s"), m.group("path"), v, v, var)
                                  for v in dict.fromkeys(values))
        return m.group("lead") + branches + " "
    return _CLOSURE_FILTER.sub(union, select)


# ---------------------------------------------------------------------------------------------
# When one query for all focus nodes is the same as one query per pre-bound $this
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'''
    (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][A-Za-z_0-9]+)
  | (?P<word>[A-Za-z_][A-Za-z_0-9-]*(?::[A-Za-z_0-9-]*)?)
  | (?P<punct>[{}()])
  | (?P<other>\S)
''', re.X)
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}


def _batch_body(select: str) -> str | None:
    """`select` with `VALUES ?this {FOCUS}` as the first element of its WHERE group, when joining that
    block is equivalent to pre-binding $this (SHACL-SPARQL §5.2.1) in each solution; else None.

    Joined first, ?this is bound in every solution of the top-level group, hence in its FILTERs, its
    BINDs, the EXISTS they evaluate, and the FILTERs of its OPTIONALs (the left join's condition sees
    both sides); a triple pattern that names ?this anywhere (a UNION branch, a nested group) is a join
    on it. Refused: ?this in an expression or EXISTS of a nested group or UNION branch (where it would
    be unbound), in the BIND of an OPTIONAL; sub-SELECTs, VALUES, MINUS, SERVICE, LIMIT/OFFSET;
    aggregates without GROUP BY ?this; a projection without ?this."""
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(select)]
    tokens = [t for t in tokens if t[0] != "comment"]
    words = [v.upper() for k, v, _ in tokens if k == "word"]
    if words.count("SELECT") != 1 or {"VALUES", "MINUS", "SERVICE", "LIMIT", "OFFSET"} & set(words):
        return None
    first = next((i for i, t in enumerate(tokens) if t[1] == "{"), None)
    if first is None:
        return None
    projection = [v for k, v, _ in tokens[:first] if k in ("var", "other")]
    if "*" not in projection and not {"?this", "$this"} & set(projection):
        return None
    # aggregates need GROUP BY ?this
    has_aggregate = any(tokens[i][0] == "word" and tokens[i][1].upper() in _AGGREGATES and i + 1 < len(tokens)
                        and tokens[i + 1][1] == "(" for i in range(len(tokens)))
    grouped = False
    for i, (k, v, _) in enumerate(tokens):
        if k == "word" and v.upper() == "GROUP" and i + 1 < len(tokens) and tokens[i + 1][1].upper() == "BY":
            j = i + 2
            while j < len(tokens) and tokens[j][0] == "var":
                grouped = grouped or tokens[j][1][1:] == "this"
                j += 1
            if not grouped:
                return None
    if has_aggregate and not grouped:
        return None
    # walk the WHERE group. A frame's state: bound (?this bound in its solutions: the top group and the
    # EXISTS of its expressions), optional (an OPTIONAL of a bound frame: its FILTERs see ?this, its BINDs
    # do not), plain (a nested group or UNION branch: only its triple patterns may name ?this), dead.
    frames: list[list] = []   # [state, paren depth at open, last FILTER/BIND keyword seen in it]
    parens = 0
    prev = None
    for k, v, _ in tokens[first:]:
        up = v.upper()
        if v == "{":
            if not frames:
                state = "bound"
            else:
                outer, _, keyword = frames[-1]
                if prev == "EXISTS":
                    state = "bound" if outer == "bound" or (outer == "optional" and keyword == "FILTER") else "dead"
                elif prev == "OPTIONAL" and outer == "bound":
                    state = "optional"
                else:
                    state = "dead" if outer == "dead" else "plain"
            frames.append([state, parens, None])
        elif v == "}":
            if not frames:
                return None
            frames.pop()
            if not frames:
                break
        elif v == "(":
            parens += 1
        elif v == ")":
            parens -= 1
        elif k == "word" and up in ("FILTER", "BIND") and frames:
            frames[-1][2] = up
        elif k == "var" and v[1:] == "this" and frames:
            state, depth, keyword = frames[-1]
            if prev == "AS" or state == "dead":
                return None
            if parens > depth and not (state == "bound" or (state == "optional" and keyword == "FILTER")):
                return None
            if parens == depth and state in ("plain", "optional"):
                # a triple pattern of this group binds ?this (joined to the focus node) for what follows
                frames[-1][0] = "bound"
        prev = up if k == "word" else v
    if frames:
        return None
    at = tokens[first][2] + 1
    return select[:at] + " VALUES ?this { ", " } " + select[at:]


_GROUP_KEYWORDS = {"FILTER", "BIND", "OPTIONAL", "UNION", "MINUS", "VALUES", "SERVICE", "GRAPH", "EXISTS", "NOT",
                   "SELECT"}


def _exists_split(body: tuple[str, str]) -> tuple[str, str]:
    """_exists_to_joins on the batched query (cut where the focus nodes go)."""
    mark = "?__policykg_focus__"
    joined = _exists_to_joins(body[0] + mark + body[1])
    before, _, after = joined.partition(mark)
    return before, after


def _exists_to_joins(query: str) -> str:
    """In the batched query (?this bound first by VALUES), a top-level `FILTER NOT EXISTS { P }` becomes
    `MINUS { P }` and `FILTER EXISTS { P }` a join with `{ SELECT DISTINCT ?this WHERE { P } }`, when P
    is triple patterns only and shares no variable but ?this with the rest of the query: then both
    forms keep or drop a solution by its ?this alone, and oxigraph evaluates P once for all focus nodes
    instead of once per solution with joins it cannot plan (profiled: 80 ms -> 1 ms for
    core-statement-evidence on PlanetHoster's 259 statements)."""
    tokens = [m for m in _TOKEN.finditer(query) if m.lastgroup != "comment"]
    candidates = []     # (start, end, negated, inner text, variables of P)
    depth, i = 0, 0
    while i < len(tokens):
        m = tokens[i]
        v = m.group()
        if v == "{":
            depth += 1
        elif v == "}":
            depth -= 1
        elif depth == 1 and m.lastgroup == "word" and v.upper() == "FILTER":
            j = i + 1
            negated = j < len(tokens) and tokens[j].group().upper() == "NOT"
            j += negated
            if j + 1 < len(tokens) and tokens[j].group().upper() == "EXISTS" and tokens[j + 1].group() == "{":
                k, names, ok = j + 2, set(), True
                while k < len(tokens) and tokens[k].group() != "}":
                    t = tokens[k]
                    if t.group() == "{" or (t.lastgroup == "word" and t.group().upper() in _GROUP_KEYWORDS):
                        ok = False
                        break
                    if t.lastgroup == "var":
                        names.add(t.group()[1:])
                    k += 1
                if ok and k < len(tokens):
                    candidates.append((m.start(), tokens[k].end(), negated,
                                       query[tokens[j + 1].end():tokens[k].start()], names))
                    i = k + 1
                    continue
        i += 1
    out, at = [], 0
    for start, end, negated, inner, names in candidates:
        outside = {t.group()[1:] for t in tokens if t.lastgroup == "var" and not start <= t.start() < end}
        if "this" not in names or names & outside != {"this"}:
            continue
        out.append(query[at:start])
        out.append(f"MINUS {{{inner}}}" if negated else f"{{ SELECT DISTINCT ?this WHERE {{{inner}}} }}")
        at = end
    out.append(query[at:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# What a query needs in the data graph to have any solution
# ---------------------------------------------------------------------------------------------

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_PATH_SIGNS = {"/", "|", "*", "+", "?", "^", "!"}
_TERMS = ("var", "iri", "pname", "bnode", "string", "number")


def required_terms(query: str) -> frozenset:
    """What the data graph must hold for `query` to have a solution: (predicate IRI, None) for each triple
    pattern with a constant predicate written directly in the query's WHERE group, (rdf:type, class IRI) for
    such a pattern with a constant class. The WHERE group joins its triple patterns with everything else in
    it (OPTIONAL, MINUS, FILTER and BIND apply to that join), so a graph without one of them gives the query
    no solution, and the engine need not run it. Only plain predicates count (a path such as `ex:p*` matches a
    graph without ex:p), and nothing of a nested group (a UNION branch, OPTIONAL, EXISTS, sub-select); none
    when the query aggregates without GROUP BY (an aggregate over no solution is one row). What this reading
    does not follow is left out: it may miss a requirement, never invent one."""
    from .prebinding import tokens
    toks = tokens(query)
    prefixes = {}     # "dpv:" -> its namespace, as kg.stores.sparql_text.expand takes them
    for i, t in enumerate(toks[:-2]):
        if t.word == "PREFIX" and toks[i + 1].kind == "pname" and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text] = toks[i + 2].text[1:-1]
    if not any(t.word == "SELECT" and t.select == 0 for t in toks) or any(t.word == "BASE" for t in toks):
        return frozenset()      # (a relative IRI's meaning depends on BASE: not followed)
    projection = [t for t in toks if t.select == 0 and t.part == "projection"]
    aggregates = any(t.word in _AGGREGATES for t in projection)
    if aggregates and not any(t.word == "GROUP" and t.select == 0 and t.part == "modifiers" for t in toks):
        return frozenset()
    where = [t for t in toks if t.select == 0 and t.part == "where" and t.brace == 1 and t.paren == 0]
    return frozenset(_plain_patterns(where, prefixes))


def _iri(t, prefixes: dict) -> str | None:
    """The absolute IRI a token writes, or None (a variable, a literal, a relative IRI, an unknown prefix)."""
    if t.kind == "iri":
        return t.text[1:-1] if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", t.text[1:]) else None
    if t.kind == "pname":
        from ..stores.sparql_text import expand
        try:
            return expand(t, prefixes)[1:-1]
        except ValueError:      # an undeclared prefix
            return None
    return None


def _plain_patterns(where: list, prefixes: dict) -> set:
    """(predicate, class or None) of the plain triple patterns among the WHERE group's own tokens (those of
    nested groups and of parentheses left out: the `{` or `(` that opens one stays, as a boundary)."""
    out: set = set()
    state = "subject"       # subject, predicate, object, after (an object read), skip (to `.`), pending
    predicate = None
    i = 0
    while i < len(where):
        t = where[i]
        text = t.text
        if text in ("{", "(") and state in ("pending", "subject", "after"):
            state = "subject"        # what follows the group or the expression starts a new triples block
        elif t.kind == "word" and text not in ("a", "true", "false"):
            state = "pending"        # FILTER, OPTIONAL, BIND, UNION, a function...: until its ( or {
        elif state == "pending":
            pass
        elif text == ".":
            state = "subject"
        elif state == "skip":
            if text == ";":
                state = "predicate"
        elif state == "subject":
            state = "predicate" if t.kind in ("var", "iri", "pname", "bnode") else "skip"
        elif state == "predicate":
            if text == ";":
                pass
            elif t.kind == "var":
                state, predicate = "object", None
            elif t.kind in ("iri", "pname") or text == "a":
                following = where[i + 1].text if i + 1 < len(where) else ""
                if following in _PATH_SIGNS:
                    state = "skip"
                else:
                    state, predicate = "object", (_RDF_TYPE if text == "a" else _iri(t, prefixes))
            else:
                state = "skip"       # a path (^p, !p, (p|q)) or what this reading does not follow
        elif state == "object":
            end = _object_end(where, i)
            if end is None:
                state = "skip"
                continue
            if predicate is not None:
                out.add((predicate, _iri(t, prefixes) if predicate == _RDF_TYPE else None))
            i, state = end, "after"
            continue
        elif state == "after":
            state = {";": "predicate", ",": "object"}.get(text, "skip")
        i += 1
    return out


def _object_end(where: list, i: int) -> int | None:
    """The index after the object term at `i` (a literal with its language or datatype; the `[` of a blank
    node, whose own patterns are then skipped), or None when `i` is not a term this reading follows."""
    t = where[i]
    if t.text == "[":
        return i + 1
    if t.text in ("-", "+") and i + 1 < len(where) and where[i + 1].kind == "number":
        return i + 2
    if t.kind not in _TERMS and t.text not in ("a", "true", "false"):
        return None
    if t.text == "a":
        return None
    i += 1
    if t.kind == "string" and i < len(where):
        if where[i].kind == "lang":
            i += 1
        elif where[i].text == "^" and i + 2 < len(where) and where[i + 1].text == "^":
            i += 3
    return i
