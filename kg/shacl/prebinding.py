"""SHACL's pre-binding of variables ($this, and a component's $value and parameters) done on the query's
syntax: the query read as tokens (strings, IRIs, comments and prefixed names are never taken for keywords
or variables), checked against the limits SHACL puts on such queries, and rendered with each pre-bound
variable replaced by its value where it is a term.

SHACL (https://www.w3.org/TR/shacl/#pre-binding, syntax rule pre-binding-limitations) forbids in a query with
pre-bound variables: MINUS, SERVICE (federated queries), VALUES, `AS ?v` for a potentially pre-bound ?v, and
a sub-query that does not return every potentially pre-bound variable ($shapesGraph and $currentShape
excepted); these are rejected (`unsupported-shape`, `forbidden`). What SHACL allows but this engine does not
run ($shapesGraph, which SHACL lets a processor refuse; GRAPH, FROM, a nested SELECT * that projects $this) is
refused, never run. $currentShape is pre-bound like $this (to the shape's IRI).

Pre-binding replaces the variable by its value in the query's algebra; written as text, that is the value's
N-Triples form where the variable is a term (triple patterns, expressions, GRAPH names), `true` for
`BOUND(?v)`, and in a sub-query's projection `(value AS ?fresh)` (the sub-query still returns one column, which
no longer joins with anything). The top-level projection, GROUP BY and ORDER BY keep the variable: unbound
there, it groups and orders as the constant would. A blank node has no constant form in a query: its
variable stays and pyoxigraph's `substitutions=` binds it, which gives pre-binding's answer where the
variable is in triple patterns and FILTER expressions only (checked by `bnode_safe`); elsewhere (a BIND,
a projection expression...) a blank-node value is refused when it comes.

Separate from `rewrite` (the planner's rewrites and the batched form) because this is the meaning of the
query: what SHACL allows, and what pre-binding is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'''
    (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<bnode>_:[\w.-]*\w|_:\w)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[A-Za-z][\w.-]*)?:(?:[\w:%-]|\\.|\.(?=[\w:%-]))*)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<punct>[{}()])
  | (?P<other>\S)
''', re.X)

# potentially pre-bound variables SHACL makes optional in sub-queries' projections
OPTIONAL_IN_SUBQUERIES = {"shapesGraph", "currentShape"}


class Refusal(Exception):
    """A query this engine will not run: `forbidden` when SHACL forbids it, else not implemented here."""

    def __init__(self, feature: str, forbidden: bool):
        super().__init__(feature)
        self.feature, self.forbidden = feature, forbidden


@dataclass
class Token:
    kind: str
    text: str
    start: int
    end: int
    brace: int = 0          # braces open before it
    paren: int = 0          # parentheses open before it
    base: int = 0           # parentheses open where its group opened (paren == base: a pattern's term)
    head: str = ""          # inside parentheses: the keyword before the outermost ones of its group (FILTER, BIND...)
    select: int = -1        # index of the SELECT scope it belongs to (0: the query's own), -1: none
    select_paren: int = 0   # parentheses open at the SELECT of its scope
    part: str = ""          # in its SELECT scope: head (ASK), projection, where, modifiers
    clause: str = ""        # in modifiers: GROUP, ORDER, HAVING, LIMIT, OFFSET, VALUES
    group: str = ""         # the kind of group it is in: where, group, optional, exists, minus, graph, service

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass
class _Scope:
    paren: int                  # parentheses open at its SELECT
    part: str = "projection"
    where: int | None = None    # brace depth its WHERE group opens at


def tokens(query: str) -> list[Token]:
    """The tokens of a query (comments left out), each with its place in the query's structure."""
    out = [Token(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(query)
           if m.lastgroup != "comment"]
    brace = paren = 0
    scopes: list[_Scope] = []
    stack: list[int] = []           # index in `scopes` of each open SELECT scope
    groups: list[tuple[str, int]] = []   # (kind, parentheses open at its brace) of each open group
    heads: list[str] = []           # the head of each open parenthesis
    clause = ""
    for i, t in enumerate(out):
        word = t.word
        if word == "SELECT" or (word == "ASK" and not scopes):
            scopes.append(_Scope(paren, "projection" if word == "SELECT" else "head"))
            stack.append(len(scopes) - 1)
        scope = scopes[stack[-1]] if stack else None
        if t.text == "{":
            if scope is not None and scope.part in ("projection", "head"):
                scope.part, scope.where = "where", brace
            prev = [x.word for x in out[max(0, i - 2):i]]
            kind = ("exists" if prev[-1:] == ["EXISTS"] else "minus" if prev[-1:] == ["MINUS"]
                    else "optional" if prev[-1:] == ["OPTIONAL"] else "graph" if prev[:1] == ["GRAPH"]
                    else "service" if "SERVICE" in prev else "where" if not groups else "group")
            groups.append((kind, paren))
        t.brace, t.paren = brace, paren
        t.base = groups[-1][1] if groups else 0
        t.head = heads[t.base] if paren > t.base else ""
        t.select = stack[-1] if stack else -1
        t.select_paren = scope.paren if scope is not None else 0
        t.part = scope.part if scope is not None else ""
        t.group = groups[-1][0] if groups else ""
        if scope is not None and scope.part == "modifiers":
            if word in ("GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET", "VALUES"):
                clause = word
            t.clause = clause
        if t.text == "{":
            brace += 1
        elif t.text == "}":
            brace -= 1
            if groups:
                groups.pop()
            if scope is not None and scope.part == "where" and brace == scope.where:
                scope.part, clause = "modifiers", ""
            elif scope is not None and scope.part == "modifiers" and scope.where is not None and brace < scope.where:
                stack.pop()          # the group holding a sub-query closed
                outer = scopes[stack[-1]] if stack else None
                t.select = stack[-1] if stack else -1
                t.part = outer.part if outer is not None else ""
        elif t.text == "(":
            # FILTER (…), FILTER fn(…), BIND (…), or a function's own parentheses inside them
            before = [x.word or x.kind for x in out[max(0, i - 2):i]]
            heads.append("FILTER" if "FILTER" in before else before[-1] if before else "")
            paren += 1
        elif t.text == ")":
            paren -= 1
            if heads:
                heads.pop()
    return out


def _name(t: Token) -> str:
    return t.text[1:]


def check(query: str, prebound: set[str]) -> list[Token]:
    """The query's tokens; raises Refusal if SHACL forbids the query with `prebound` pre-bound (plus $this,
    $shapesGraph, $currentShape, potentially pre-bound in every SHACL query), or it uses what is not run here."""
    toks = tokens(query)
    potential = set(prebound) | {"this", "shapesGraph", "currentShape"}
    words = [t.word for t in toks]
    for keyword, feature in (("MINUS", "MINUS"), ("SERVICE", "SERVICE (a federated query)"), ("VALUES", "VALUES")):
        if keyword in words:
            raise Refusal(f"{feature} in a SPARQL query with pre-bound variables (SHACL forbids it)", True)
    for i, t in enumerate(toks):
        if t.kind == "var" and _name(t) in potential and i and toks[i - 1].word == "AS":
            raise Refusal(f"`AS {t.text}`: a query may not assign the pre-bound variable {t.text} (SHACL forbids it)",
                          True)
    for t in toks:
        if t.kind == "var" and _name(t) == "shapesGraph":
            # SHACL §5.3.1: a processor that does not give the shapes graph to queries must refuse them
            raise Refusal(f"{t.text} (the shapes graph is not given to SPARQL queries)", False)
    if "GRAPH" in words:
        raise Refusal("GRAPH in a SPARQL constraint (the data graph is the query's default graph; there are no "
                      "named graphs)", False)
    if "FROM" in words:
        raise Refusal("FROM in a SPARQL constraint (the query runs on the data graph)", False)
    if any(w in ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "CONSTRUCT", "DESCRIBE") for w in words):
        raise Refusal("a SPARQL query that is not a SELECT or ASK", True)
    _check_subqueries(toks, potential - OPTIONAL_IN_SUBQUERIES)
    return toks


def _check_subqueries(toks: list[Token], required: set[str]) -> None:
    """Each sub-query projects every potentially pre-bound variable the query uses (SHACL: it must return
    them all; one it does not use cannot be told from one it drops, and pre-binding gives the same answer)."""
    used = {_name(t) for t in toks if t.kind == "var"} & required
    for i, t in enumerate(toks):
        if t.word != "SELECT" or t.select == 0:
            continue
        scope = t.select
        projection = [x for x in toks[i + 1:] if x.select == scope and x.part == "projection"]
        names = {_name(x) for x in projection if x.kind == "var" and x.paren == t.paren}
        star = any(x.text == "*" for x in projection)
        if star:
            # SELECT * returns the variables in scope: those of its triple patterns, not of its FILTERs
            in_scope = {_name(x) for x in toks if x.select == scope and x.part == "where" and x.kind == "var"
                        and x.paren == t.paren and x.group not in ("exists", "minus")}
            missing = used - in_scope
            if missing:
                raise Refusal(f"a nested SELECT * that does not return {', '.join('$' + m for m in sorted(missing))} "
                              "(SHACL: a sub-query must return the pre-bound variables)", True)
            raise Refusal("a nested SELECT * (write the sub-query's variables)", False)
        missing = used - names
        if missing:
            raise Refusal(f"a sub-query that does not return {', '.join('$' + m for m in sorted(missing))} "
                          "(SHACL: a sub-query must return the pre-bound variables)", True)


# ---------------------------------------------------------------------------------------------
# Rendering a query with values pre-bound
# ---------------------------------------------------------------------------------------------

@dataclass
class Template:
    """A query cut where pre-bound variables go: `pieces` alternate text and (role, name) holes."""
    pieces: list
    bnode_safe: bool          # pyoxigraph's substitutions give pre-binding's answer for blank-node values

    def render(self, values: dict[str, str | None]) -> str:
        """The query with each pre-bound variable replaced by its value's N-Triples form (None: a blank node,
        the variable stays, bound by substitutions)."""
        out = []
        for p in self.pieces:
            if isinstance(p, str):
                out.append(p)
                continue
            role, name, fresh = p
            value = values.get(name)
            if role == "bound":
                out.append("(true)")
            elif value is None or role == "keep":
                out.append("?" + name)
            elif role == "project":
                out.append(f"({value} AS ?{fresh})")
            else:
                out.append(value)
        return "".join(out)


def template(query: str, toks: list[Token], prebound: set[str]) -> Template:
    """The query cut where its pre-bound variables go (see the module's docstring for the roles)."""
    pieces: list = []
    at = 0
    safe = True
    skip_until = -1
    n = 0
    for i, t in enumerate(toks):
        if i <= skip_until:
            continue
        if t.word == "BOUND" and i + 3 < len(toks) and toks[i + 1].text == "(" and toks[i + 2].kind == "var" \
                and _name(toks[i + 2]) in prebound and toks[i + 3].text == ")":
            pieces += [query[at:t.start], ("bound", _name(toks[i + 2]), None)]
            at = toks[i + 3].end
            skip_until = i + 3
            continue
        if t.kind != "var" or _name(t) not in prebound:
            continue
        name = _name(t)
        if t.part == "projection" and t.paren == t.select_paren:
            n += 1
            role = "project" if t.select > 0 else "keep"
        elif t.part == "modifiers" and t.clause in ("GROUP", "ORDER") and t.paren == t.select_paren:
            role = "keep"
        else:
            role = "term"
        # where pyoxigraph's substitutions bind a blank node as pre-binding would (tests/test_shacl.py)
        if not (role in ("keep", "project") or (t.part == "where" and (t.paren == t.base or t.head == "FILTER"))):
            safe = False
        pieces += [query[at:t.start], (role, name, f"__prebound_{name}_{n}")]
        at = t.end
    pieces.append(query[at:])
    return Template(pieces, safe)
