"""Validate policy graphs against the SHACL profiles in shapes/<profile>/ (one policy at a time).

The data graph of one validation is the policy's own graph plus the part of the vocabulary its terms
reach (their rdf:type / skos:broader / rdfs:subClassOf closure, sunset status and legal territories):
DPV types its concepts inconsistently, so shapes walk `(rdf:type|skos:broader|rdfs:subClassOf)*`
(see ../shared/research/dpv-modelling.md §5), and pySHACL never sees the 22k-triple vocabulary whole.
The result is a `Report` per policy: its findings (with message and fix in fr and en, the article, the
quote and the card line) and the standard `sh:ValidationReport` graph the engine produced.

The package, by job: `profiles` (the profile folders), `user_profiles` (users' own profile folders: --profile
PATH, the user profiles folder, their checks), `applicability` (where and when each applies, from
its profile.ttl; the validation date), `data_graph` (what the engine
sees), `engines` (pySHACL, pyshacl-turbo, the oxigraph engine), `findings` (the report model), `run` (the
entry points: `validate_targets` for whatever the user names).
"""
from .applicability import Applicability, parse_as_of
from .data_graph import CARRIED_FACTS, WALK, drop_inferred, validation_graph, vocabulary_closure
from .engines import (DEFAULT_ENGINE, ENGINES, REFERENCE_ENGINE, Workspace, _profile_shapes, _shapes_engine,
                      workspace)
from .findings import SEVERITIES, SEVERITY_RANK, Finding, Report
from .profiles import (PROFILE_CLASS, REASONS, Profile, applicable_profiles, lang_texts, load_profiles,
                       resolve_profiles, shape_id)
from .run import LOAD_ERRORS, ValidationRun, validate_graph, validate_paths, validate_store, validate_targets
from .user_profiles import ProfileProblems, user_profiles_dir

__all__ = ["Applicability", "DEFAULT_ENGINE", "ENGINES", "CARRIED_FACTS", "PROFILE_CLASS", "REASONS", "REFERENCE_ENGINE", "SEVERITIES",
           "SEVERITY_RANK", "WALK", "Finding", "Profile", "ProfileProblems", "Report", "ValidationRun", "Workspace", "_profile_shapes",
           "_shapes_engine", "applicable_profiles", "drop_inferred", "lang_texts", "load_profiles", "parse_as_of", "resolve_profiles", "shape_id", "user_profiles_dir",
           "LOAD_ERRORS", "validate_graph", "validate_paths", "validate_store", "validate_targets", "validation_graph", "vocabulary_closure",
           "workspace"]
