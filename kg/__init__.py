"""policykg: privacy policies as a knowledge graph on the W3C Data Privacy Vocabulary (DPV 2.3).

The stages of the data flow, each a module: load (cards) / load_rdf (RDF files) -> mapping (RDF) ->
build (the embedded store) -> validate (SHACL profiles) / queries (SPARQL library) -> export (Turtle, TriG,
N-Quads, JSON-LD); diff (two versions by meaning) and compare (policies side by side).
"""
from .build import BuildResult, build
from .compare import compare_targets
from .diff import diff_targets
from .errors import KgError
from .export import export_store, serialize
from .load import load_card
from .load_rdf import load_rdf_policies
from .mapping import policy_graph, to_dataset
from .queries import find_queries, run_query
from .validate import validate_graph, validate_paths, validate_store

__all__ = ["BuildResult", "KgError", "build", "compare_targets", "diff_targets", "export_store", "find_queries", "load_card", "load_rdf_policies",
           "policy_graph", "run_query", "serialize", "to_dataset", "validate_graph", "validate_paths", "validate_store"]
__version__ = "0.1.0"
