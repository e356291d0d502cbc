"""Privacy preferences (issue 20): a small YAML file of what a person or a company accepts (`format`), compiled
to SHACL shapes (`compile`), matched against policies: met, not met or unknown, with the quotes behind each
verdict (`match`); the verdicts as text or JSON (`output`). docs/preferences.md is the reference."""
from .compile import Compiled, compile_preferences
from .format import KINDS, Preference, Preferences, PreferencesError, load_preferences, parse_duration
from .match import ENGINES, Evidence, MatchRun, PolicyMatch, Verdict, match_graph, match_targets

__all__ = ["Compiled", "ENGINES", "Evidence", "KINDS", "MatchRun", "PolicyMatch", "Preference", "Preferences",
           "PreferencesError", "Verdict", "compile_preferences", "load_preferences", "match_graph", "match_targets",
           "parse_duration"]
