"""A SHACL engine on pyoxigraph for the SHACL features our profiles use, with pySHACL's results.

Implemented (SHACL 1.0 and SHACL-SPARQL): node and property shapes; targets sh:targetClass (instances
through rdf:type/rdfs:subClassOf* in the data graph), sh:targetSubjectsOf, sh:targetObjectsOf,
sh:targetNode; SPARQL-based constraints (sh:sparql with sh:select, sh:prefixes/sh:declare, sh:message
templates {?var} and {$this}, sh:deactivated); sh:minCount on a predicate path; sh:or of shapes built
from those; sh:severity, sh:message, sh:deactivated on shapes. A shapes graph that uses anything else
(another constraint, a complex path, sh:sparql on a property shape...) is refused with an
`unsupported-shape` error rather than silently ignored.

Results are the triples pySHACL writes (focusNode, resultPath, value, sourceShape,
sourceConstraintComponent, sourceConstraint, resultSeverity, resultMessage: SPARQL messages lose their
language tag once {?var} are substituted, as in pySHACL), so the finding extraction of kg.validate
works on either engine's report. tests/test_shapes.py and tests/test_validate.py check that the findings
are those of pySHACL on every fixture and on the seeds.

Speed: shapes are compiled once per shapes graph (queries with their PREFIX lines, targets, the
batching decision); a SPARQL constraint runs once for all its focus nodes (`VALUES ?this {...}` joined
first in the WHERE group) when that is equivalent to pre-binding $this in each (see `_batch_body`),
otherwise once per focus node with $this substituted (SEP-0007 `substitutions=`, SHACL's pre-binding).

The package, by job: `shapes` (compiling a shapes graph into plans, refusing what is not implemented),
`rewrite` (a constraint's SPARQL text: its batched and pre-bound forms, rewrites for the query planner),
`engine` (`ShapesEngine`: running the plans on a data graph in a pyoxigraph store), `results` (pySHACL's
result triples and the sh:ValidationReport).
"""
from .engine import RDFS_SUBCLASS, ShapesEngine
from .rewrite import _batch_body, _closure_filters_to_unions, _exists_split, _exists_to_joins
from .shapes import (SHAPE_PREDICATES, SHAPE_TYPES, SPARQL_PREDICATES, TARGETS, Shape, SparqlConstraint,
                     unsupported)

__all__ = ["RDFS_SUBCLASS", "SHAPE_PREDICATES", "SHAPE_TYPES", "SPARQL_PREDICATES", "TARGETS", "Shape",
           "ShapesEngine", "SparqlConstraint", "_batch_body", "_closure_filters_to_unions", "_exists_split",
           "_exists_to_joins", "unsupported"]
