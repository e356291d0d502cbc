"""Reading and rewriting SPARQL query text for a server whose dialect differs (kg.stores.dialects): a
tokenizer, and the three rewrites policykg makes for Virtuoso, each on tokens, never on the user's values
(those are bound terms, serialised in the VALUES block before any rewrite):

- `triple_terms_as_reification`: an RDF 1.2 triple term `<<( s p o )>>` becomes the blank node of its RDF
  1.1 reification, `[ rdf:subject s ; rdf:predicate p ; rdf:object o ]`, which matches what `push` stores
  on a server without triple terms (kg.evidence.reify: `ev oa:hasBody st . st rdf:subject s ; …`).
- `typed_booleans`: a boolean expression bound by `BIND(… AS ?v)` or projected by `(… AS ?v)` is wrapped
  in `xsd:boolean(…)`, so that its value comes back as a boolean, not as the integer 1 or 0.
- `paths` / `replace_paths`: the property paths with `*`, `+` or `?` (whose SPARQL semantics is a set of
  pairs), each with its canonical text (prefixes expanded) and the graph it is read in; a path the server
  holds the closure of is replaced by the closure's predicate.

A construct a rewrite cannot handle (a nested triple term, a path in a variable graph without a closure)
is a ValueError that says so; the endpoint turns it into an error, never into a silently different query.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<tt_open><<\()
  | (?P<tt_close>\)>>)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:(?:[\w.\-:%\u00B7\u00C0-\uFFFF]|\\.)*)
  | (?P<number>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\|\||&&|!=|<=|>=|\^\^|[{}()\[\].,;|/^!*+?=<>\-])
""", re.VERBOSE)


@dataclass
class Token:
    kind: str    # ws comment tt_open tt_close iri string var lang pname number name op
    text: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """The query's tokens, white space and comments included (their texts joined give the text back)."""
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot read the query at character {pos}: {text[pos:pos + 20]!r}")
        kind, piece = m.lastgroup, m.group()
        if kind == "pname" and piece.endswith(".") and not piece.endswith("\\."):
            piece = piece.rstrip(".")   # a prefixed name does not end with '.': that is the triple's end
        out.append(Token(kind, piece, pos, pos + len(piece)))
        pos += len(piece)
    return out


def _code(toks: list[Token]) -> list[int]:
    """Indexes of the tokens that are not white space or comments."""
    return [i for i, t in enumerate(toks) if t.kind not in ("ws", "comment")]


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """The text with each (start, end, replacement) applied (non-overlapping)."""
    out, pos = [], 0
    for start, end, new in sorted(edits):
        out += [text[pos:start], new]
        pos = end
    return "".join(out) + text[pos:]


def prefixes(toks: list[Token]) -> dict[str, str]:
    """PREFIX declarations: prefix (with its colon) -> namespace IRI."""
    code = [toks[i] for i in _code(toks)]
    found = {}
    for a, b, c in zip(code, code[1:], code[2:]):
        if a.kind == "name" and a.text.upper() == "PREFIX" and b.kind == "pname" and c.kind == "iri":
            found[b.text] = c.text[1:-1]
    return found


def expand(token: Token, known: dict[str, str]) -> str:
    """An IRI token as `<iri>`: a prefixed name expanded, `a` as rdf:type; other tokens as they are."""
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix + ":" not in known:
            raise ValueError(f"the prefix {prefix}: of {token.text} is not declared")
        local = re.sub(r"\\(.)", r"\1", local)   # PN_LOCAL_ESC: \. \- … stand for the character
        return f"<{known[prefix + ':']}{local}>"
    if token.kind == "name" and token.text == "a":
        return f"<{RDF}type>"
    return token.text


# --- triple terms ------------------------------------------------------------------------------------------

def triple_terms_as_reification(text: str) -> str:
    """Each `<<( s p o )>>` as `[ rdf:subject s ; rdf:predicate p ; rdf:object o ]` (module docstring)."""
    if "<<(" not in text:
        return text
    toks = tokens(text)
    code = _code(toks)
    edits = []
    k = 0
    while k < len(code):
        t = toks[code[k]]
        if t.kind != "tt_open":
            k += 1
            continue
        terms, j = [], k + 1
        while j < len(code) and toks[code[j]].kind != "tt_close":
            if toks[code[j]].kind == "tt_open":
                raise ValueError("a triple term inside a triple term cannot be written in RDF 1.1 for this server")
            term = [toks[code[j]]]
            if term[0].kind == "string" and j + 1 < len(code):
                follow = toks[code[j + 1]]
                if follow.kind == "lang":
                    term.append(follow)
                    j += 1
                elif follow.kind == "op" and follow.text == "^^" and j + 2 < len(code):
                    term += [follow, toks[code[j + 2]]]
                    j += 2
            terms.append(term)
            j += 1
        if j >= len(code) or len(terms) != 3:
            raise ValueError(f"the triple term at character {t.start} does not have three terms")
        s, p, o = ("".join(x.text for x in term) for term in terms)
        if p == "a":
            p = f"<{RDF}type>"
        edits.append((t.start, toks[code[j]].end,
                      f"[ <{RDF}subject> {s} ; <{RDF}predicate> {p} ; <{RDF}object> {o} ]"))
        k = j + 1
    return _splice(text, edits)


# --- boolean expressions -------------------------------------------------------------------------------------

_BOOLEAN_CALLS = {"BOUND", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX", "SAMETERM",
                  "LANGMATCHES", "CONTAINS", "STRSTARTS", "STRENDS", "ISTRIPLE"}
_BOOLEAN_OPS = {"=", "!=", "<", ">", "<=", ">=", "&&", "||", "!"}


def _is_boolean(expr: list[Token]) -> bool:
    """Whether an expression (its code tokens) is boolean at its top level."""
    if not expr:
        return False
    if len(expr) == 1:
        return expr[0].kind == "name" and expr[0].text.lower() in ("true", "false")
    depth = 0
    for t in expr:
        if t.kind == "op" and t.text in "({[":
            depth += 1
        elif t.kind == "op" and t.text in ")}]":
            depth -= 1
        elif depth == 0 and ((t.kind == "op" and t.text in _BOOLEAN_OPS)
                             or (t.kind == "name" and t.text.upper() in ("IN", "NOT"))):
            return True
    head = expr[0]
    return head.kind == "name" and (head.text.upper() in _BOOLEAN_CALLS or head.text.upper() == "EXISTS")


def typed_booleans(text: str) -> str:
    """Every boolean `BIND(e AS ?v)` / `(e AS ?v)` with `e` wrapped in xsd:boolean(…) (module docstring)."""
    if not re.search(r"\bAS\b", text, re.I):
        return text
    toks = tokens(text)
    code = _code(toks)
    edits, opened = [], []   # opened: code positions of the '(' not closed yet
    for k, i in enumerate(code):
        t = toks[i]
        if t.kind == "op" and t.text == "(":
            opened.append(k)
        elif t.kind == "op" and t.text == ")":
            if opened:
                opened.pop()
        elif t.kind == "name" and t.text.upper() == "AS" and opened and k + 2 < len(code) \
                and toks[code[k + 1]].kind == "var" and toks[code[k + 2]].text == ")":
            first = opened[-1] + 1
            expr = [toks[code[m]] for m in range(first, k)]
            if _is_boolean(expr):
                edits += [(expr[0].start, expr[0].start, f"<{XSD_BOOLEAN}>("), (t.start, t.start, ") ")]
    return _splice(text, edits)


# --- property paths ----------------------------------------------------------------------------------------

_MODIFIERS = {"*", "+", "?"}
_PATH_OPS = {"^", "!", "|", "/", "(", ")"} | _MODIFIERS


@dataclass
class PathUse:
    """A property path with a modifier in a query: its canonical text (IRIs in full, no spaces), the graph
    it is read in (None: a variable graph, or the default graph), where it is in the text."""
    canonical: str
    graph: str | None
    start: int
    end: int


def _is_path_token(t: Token) -> bool:
    return t.kind in ("iri", "pname") or (t.kind == "name" and t.text == "a") or \
        (t.kind == "op" and t.text in _PATH_OPS)


def paths(text: str) -> list[PathUse]:
    """The property paths with `*`, `+` or `?` of a query, with the graph each is read in."""
    if not re.search(r"[)>\w][*+?]", text):
        return []
    toks = tokens(text)
    known = prefixes(toks)
    code = [toks[i] for i in _code(toks)]
    found: list[PathUse] = []
    graphs: list[str | None] = []   # the active graph of each open '{'
    pending: str | None | bool = False   # after GRAPH x: the graph of the next '{'
    k = 0
    while k < len(code):
        t = code[k]
        if t.kind == "name" and t.text.upper() == "GRAPH" and k + 1 < len(code):
            nxt = code[k + 1]
            pending = expand(nxt, known)[1:-1] if nxt.kind in ("iri", "pname") else None
            k += 2
            continue
        if t.kind == "op" and t.text == "{":
            graphs.append(pending if pending is not False else (graphs[-1] if graphs else None))
            pending = False
        elif t.kind == "op" and t.text == "}":
            if graphs:
                graphs.pop()
        if not _is_path_token(t):
            k += 1
            continue
        run_end = k + 1
        while run_end < len(code) and _is_path_token(code[run_end]) and _continues(code[run_end - 1], code[run_end]):
            run_end += 1
        run = code[k:run_end]
        use = _path_in(run, known, graphs[-1] if graphs else None)
        if use:
            found.append(use)
        k = max(run_end, k + 1)
    return found


def _continues(before: Token, token: Token) -> bool:
    """Whether `token` goes on the path `before` is in: after an IRI, `a`, `)` or a modifier only `/`, `|`,
    `)` or a modifier do (an IRI after an IRI is the triple's object, or its subject's path)."""
    ends = before.kind in ("iri", "pname", "name") or before.text == ")" or before.text in _MODIFIERS
    return not ends or (token.kind == "op" and token.text in {"/", "|", ")"} | _MODIFIERS)


def _path_in(run: list[Token], known: dict[str, str], graph: str | None) -> PathUse | None:
    """The path a run of path-like tokens is, if it is one with a modifier: leading '(' that open a call or
    a group outside the run are set aside, and the rest must balance."""
    while run and run[0].text == "(" and _balance(run) > 0:
        run = run[1:]
    while run and run[-1].text == ")" and _balance(run) < 0:
        run = run[:-1]
    if not run or _balance(run) != 0 or not any(t.text in _MODIFIERS for t in run if t.kind == "op"):
        return None
    if not any(t.kind in ("iri", "pname") or t.text == "a" for t in run):
        return None
    canonical = "".join(expand(t, known) for t in run)
    return PathUse(canonical, graph, run[0].start, run[-1].end)


def _balance(run: list[Token]) -> int:
    return sum(1 if t.text == "(" else -1 if t.text == ")" else 0 for t in run if t.kind == "op")


def replace_paths(text: str, closures: dict[tuple[str | None, str], str]) -> str:
    """The text with each path replaced by `<predicate>` of its closure ((graph, canonical) -> predicate
    IRI); a path without one is a ValueError naming it."""
    edits = []
    for use in paths(text):
        predicate = closures.get((use.graph, use.canonical))
        if predicate is None:
            where = f"in GRAPH <{use.graph}>" if use.graph else "outside a GRAPH with an IRI"
            raise ValueError(f"the property path {text[use.start:use.end]} ({where}) has no closure on the server")
        edits.append((use.start, use.end, f"<{predicate}>"))
    return _splice(text, edits)


def might_rewrite(text: str) -> bool:
    """Whether some dialect may rewrite this text (a triple term, an `AS`, a path modifier): if not, it is
    sent before the server's dialect is known."""
    return "<<(" in text or bool(re.search(r"\bAS\b", text, re.I)) or bool(paths(text))
