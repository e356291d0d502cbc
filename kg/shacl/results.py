"""The results of the engine, written as pySHACL writes them: the result of a focus node that fails
sh:minCount or sh:or, the results of a SPARQL constraint's rows (one per distinct binding, sh:message
templates filled), and the sh:ValidationReport graph that holds them.

Separate from running the shapes (`engine`) because this is the contract with the rest of policykg: the
finding extraction of kg.validate reads these triples (focusNode, resultPath, value, sourceShape,
sourceConstraintComponent, sourceConstraint, resultSeverity, resultMessage) whichever engine produced
them, and tests/test_shapes.py and tests/test_validate.py check they give pySHACL's findings.
"""
from __future__ import annotations

import re

from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH

from ..terms import from_ox
from .paths import Path
from .sparql_constraints import SparqlConstraint

_SHAPE_PATH = object()


def core_result(shape, component, focus, value=None, *, path=_SHAPE_PATH, message: str = "") -> tuple:
    """A result of a SHACL Core constraint, as pySHACL writes it: focus node, the shape's path (or `path`),
    the value node when there is one, the component, and the shape's sh:message (else `message`)."""
    triples = [(SH.focusNode, from_ox(focus))]
    path = shape.path if path is _SHAPE_PATH else path
    if path is not None:
        triples.append((SH.resultPath, path))
    if value is not None:
        triples.append((SH.value, from_ox(value)))
    triples.append((SH.sourceConstraintComponent, component))
    messages = shape.messages or ([Literal(message)] if message else [])
    triples += [(SH.resultMessage, m) for m in messages]
    return (shape, triples)


def sparql_results(shape, c: SparqlConstraint, focus: list, rows: dict) -> list:
    """pySHACL's results of one SPARQL constraint (sparql_based_constraints.py): one per distinct
    (this, path, value, other bindings) row of each focus node. `rows`: focus node (rdflib) -> its
    solutions, as `engine` gives them."""
    out = []
    for f in focus:
        fr = from_ox(f)
        seen: list = []
        failed = False
        for d in rows.get(fr, ()):
            if d.pop("failure", None) is not None:
                if not failed:
                    failed = True
                    out.append(_result(shape, c, fr, fr, None, None))
                continue
            p, v, t = d.pop("path", None), d.pop("value", None), d.pop("this", None)
            if p is None and v is None and t is None:
                continue
            if p is None:       # a property shape's constraint: the shape's path (SHACL §5.3.2)
                p = shape.path
            key = (t, p, v, d)
            if key in seen:
                continue
            seen.append(key)
            v = fr if v is None else v
            out.append(_result(shape, c, t or fr, v, p, (t, p, v, d)))
    return out


def _result(shape, c: SparqlConstraint, focus, value, path, bound) -> list:
    """pySHACL's make_v_result: the constraint's own messages not also on the shape, then the shape's;
    each with {?var} substituted (a plain literal) when there are bindings."""
    triples = [(SH.focusNode, focus), (SH.sourceConstraintComponent, SH.SPARQLConstraintComponent),
               (SH.sourceConstraint, c)]
    if value is not None:
        triples.append((SH.value, value))
    if path is not None:
        triples.append((SH.resultPath, path))
    for m in [m for m in c.messages if m not in shape.messages] + list(shape.messages):
        if isinstance(m, Literal) and bound is not None:
            m = Literal(_format_message(str(m), bound))
        triples.append((SH.resultMessage, m))
    return triples


def _format_message(msg: str, bound) -> str:
    """pySHACL's substitution of {?var} / {$var} (the other bindings, then this, path and value)."""
    t, p, v, others = bound
    values = dict(others)
    if t is not None:
        values["this"] = t
    if p is not None:
        values["path"] = p.node if isinstance(p, Path) else p
    if v is not None:
        values["value"] = v
    for var, val in values.items():
        msg = re.sub("{{[?$]{}}}".format(var), str(val), msg)
    return msg


def validation_report(results: list) -> tuple[bool, Graph]:
    """(conforms, the sh:ValidationReport graph) of `results`, (shape, [(predicate, object)]) pairs in
    order; a SPARQL constraint's node is written with its own triples (sh:sourceConstraint), as pySHACL
    does."""
    report = Graph()
    report.bind("sh", SH)
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    conforms = not results      # SHACL §3.6.1: any result, whatever its severity, means the data do not conform
    report.add((root, SH.conforms, Literal(conforms)))
    for shape, triples in results:
        r = BNode()
        report.add((root, SH.result, r))
        report.add((r, RDF.type, SH.ValidationResult))
        report.add((r, SH.sourceShape, shape.node))
        report.add((r, SH.resultSeverity, shape.severity))
        for p, o in triples:
            if isinstance(o, (SparqlConstraint, Path)):   # its node, with the triples that say what it is
                for t in o.triples:
                    report.add(t)
                o = o.node
            report.add((r, p, o))
    return conforms, report
