"""policykg: privacy policies as a knowledge graph on the W3C Data Privacy Vocabulary (DPV 2.3).

The stages of the data flow, each a module: load (cards) / load_rdf (RDF files) -> mapping (RDF) ->
build (the embedded store) -> validate (SHACL profiles) / queries (SPARQL library) -> export (Turtle, TriG,
N-Quads, JSON-LD); diff (two versions by meaning) and compare (policies side by side).
"""
from __future__ import annotations

import importlib
import sys
import types

# The public API, imported on first use (PEP 562): the command line starts without loading every stage,
# so a Ctrl-C during start-up is handled like one during a command (kg/cli/entry.py).
_API = {
    "BuildResult": "build", "build": "build", "compare_targets": "compare", "diff_targets": "diff",
    "KgError": "errors", "export_store": "export", "serialize": "export", "load_card": "load",
    "load_rdf_policies": "load_rdf", "policy_graph": "mapping", "to_dataset": "mapping",
    "find_queries": "queries", "run_query": "queries", "validate_graph": "validate",
    "validate_paths": "validate", "validate_store": "validate", "validate_targets": "validate", "reason_store": "reason",
    "drop_store_inferences": "reason", "draft": "draft", "PolicyStore": "stores", "as_store": "stores", "parse_as_of": "validate", "load_profiles": "validate",
    "load_preferences": "preferences", "match_targets": "preferences",
}


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


class _Package(types.ModuleType):
    """Loading the submodule kg.build (or kg.draft) would set the attribute `kg.build` to the module, hiding
    the API function of the same name (`kg.build(...)` worked once, then was the module): the package keeps
    those names for the functions. Submodules stay importable as `kg.build` through sys.modules."""

    def __setattr__(self, name: str, value) -> None:
        if name in _API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = ["BuildResult", "KgError", "PolicyStore", "as_store", "build", "compare_targets", "diff_targets", "draft", "drop_store_inferences",
           "export_store", "find_queries", "load_card", "load_preferences", "load_profiles", "load_rdf_policies",
           "match_targets", "parse_as_of",
           "policy_graph", "reason_store", "run_query", "serialize", "to_dataset", "validate_graph",
           "validate_paths", "validate_store", "validate_targets"]
from .version import __version__  # noqa: E402,F401
