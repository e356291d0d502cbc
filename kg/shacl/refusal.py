"""The engine's one error: a shapes graph refused (`unsupported-shape`), because it uses a feature the
engine does not implement, or (`forbidden`) because SHACL does not allow it. `feature` names the feature
(tests/test_shacl_w3c.py counts the W3C suite's refusals by it)."""
from __future__ import annotations

from ..errors import UsageError


def unsupported(what: str, where, *, forbidden: bool = False, feature: str | None = None) -> UsageError:
    """The refusal of a shapes graph: a feature not implemented here, or (`forbidden`) one SHACL does not
    allow."""
    if forbidden:
        err = UsageError(f"the shapes graph is not valid SHACL: {what}", str(where),
                         "correct the shape (https://www.w3.org/TR/shacl/ says what a shape may contain)",
                         error_id="unsupported-shape")
    else:
        err = UsageError(f"the oxigraph SHACL engine does not implement {what}", str(where),
                         "use --engine pyshacl (or pyshacl-turbo) for this shapes graph, or express the shape as "
                         "a SPARQL constraint (sh:sparql)", error_id="unsupported-shape")
    err.feature, err.forbidden = feature or what, forbidden
    return err
