"""A SHACL engine on pyoxigraph: SHACL Core and SHACL-SPARQL, standard where it runs, refused where it does not,
with pySHACL's results (docs/shacl-engine.md; decision record docs/decisions/0004).

Implemented: node and property shapes (nested through sh:property); targets sh:targetClass (instances
through rdf:type/rdfs:subClassOf* in the data graph; implicit class targets), sh:targetSubjectsOf,
sh:targetObjectsOf, sh:targetNode; every SHACL Core constraint component and property path; SPARQL-based
constraints (sh:sparql with sh:select on node and property shapes, sh:prefixes through owl:imports,
sh:message templates, $this and $currentShape pre-bound on the query's syntax, what SHACL forbids with
pre-binding rejected); SPARQL-based constraint components (sh:validator, sh:nodeValidator,
sh:propertyValidator); sh:severity, sh:message, sh:deactivated. Anything else ($shapesGraph, SHACL-AF's
sh:rule, sh:target, sh:expression, recursive shapes...) is refused with an `unsupported-shape` error, as is a
shapes graph SHACL does not allow; nothing is silently ignored. tests/test_shacl_w3c.py runs the W3C SHACL
test suite: 120 of its 121 tests pass, the other ($shapesGraph) is refused.

Results are the triples pySHACL writes (focusNode, resultPath, value, sourceShape,
sourceConstraintComponent, sourceConstraint, resultSeverity, resultMessage: SPARQL messages lose their
language tag once {?var} are substituted, as in pySHACL), so the finding extraction of kg.validate
works on either engine's report; sh:conforms is false as soon as there is a result (SHACL §3.6.1).
tests/test_shapes.py and tests/test_validate.py check that the findings are those of pySHACL on every fixture
and on the seeds.

Speed: shapes are compiled once per shapes graph (queries with their PREFIX lines, targets, the
batching decision); a SPARQL constraint runs once for all its focus nodes (`VALUES ?this {...}` joined
first in the WHERE group) when that is equivalent to pre-binding $this in each (see `_batch_body`),
otherwise once per focus node with $this pre-bound (`prebinding`); a query whose required predicates or classes
the data graph lacks is not run (`rewrite.required_terms`).

The package, by job: `shapes` (compiling a shapes graph into plans, refusing what is not implemented),
`paths` (property paths), `sparql_constraints` (a sh:sparql query: prefixes, $PATH, its forms),
`prebinding` (pre-binding on the query's syntax and what SHACL forbids), `rewrite` (the batched form and
rewrites for the query planner), `components` (SPARQL-based constraint components), `core` (the SHACL Core
components), `engine` (`ShapesEngine`: running the plans on a data graph in a pyoxigraph store), `results`
(pySHACL's result triples and the sh:ValidationReport), `refusal` (the `unsupported-shape` error).
"""
from .engine import RDFS_SUBCLASS, ShapesEngine
from .rewrite import _batch_body, _closure_filters_to_unions, _exists_split, _exists_to_joins
from .shapes import (SHAPE_PREDICATES, SHAPE_TYPES, SPARQL_PREDICATES, TARGETS, Shape, SparqlConstraint,
                     unsupported)

__all__ = ["RDFS_SUBCLASS", "SHAPE_PREDICATES", "SHAPE_TYPES", "SPARQL_PREDICATES", "TARGETS", "Shape",
           "ShapesEngine", "SparqlConstraint", "_batch_body", "_closure_filters_to_unions", "_exists_split",
           "_exists_to_joins", "unsupported"]
