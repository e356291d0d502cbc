"""Semantic diff of two policy versions (or of two policies): what the second states that the first does not.

Both sides are reduced to their facts: the evidence (rdf:Statement, oa:Annotation, selectors), the snapshot
and the notice's version metadata (title, identifier, dates, source) are set aside, and every node of the
policy is named relative to its own graph (`<graph>#retention` -> `#retention`; the controller is
`#controller` on both sides), so two versions, or two policies, line up node by node. Blank nodes (RDF
inputs) get content-derived labels (rdflib.compare canonicalisation), so labels and statement IRIs that
differ only by ordering never show as changes. A value that replaces the only value of the same node and
property (P2Y -> P1Y, loc:PF -> loc:NC) is one `changed` entry; the rest are `added` or `removed`. Each
entry carries the quotes that support it on each side, and the validation findings that appeared or
disappeared are compared by (shape, focus, path, value), relative to each graph.

The package, by job: `sides` (a target read as one policy version and normalised: its facts, its nodes
named relative to its graph, the quotes of each fact), `changes` (the differences of two sides: added,
removed and changed facts with their category and quotes, the findings that appeared or disappeared; the
`Diff`), `output` (the diff as text, JSON or a TriG patch).
"""
from .changes import CATEGORIES, Change, Diff, diff_sides, diff_targets
from .output import (_WORDS, FORMATS, patch_dataset, render, render_json, render_text, render_trig, term_text,
                     to_dict)
from .sides import CONTROLLER, LOCAL, NOTICE, Side, load_side, previous_and_latest

__all__ = ["CATEGORIES", "CONTROLLER", "FORMATS", "LOCAL", "NOTICE", "Change", "Diff", "Side", "_WORDS",
           "diff_sides", "diff_targets", "load_side", "patch_dataset", "previous_and_latest", "render",
           "render_json", "render_text", "render_trig", "term_text", "to_dict"]
