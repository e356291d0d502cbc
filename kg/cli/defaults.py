"""The library's values that the commands' options show (defaults, choices), written here so that registering
the commands imports no library: a command imports what it needs when it runs, and `policykg --help` or
`policykg validate card.yaml` do not load the build, the stores or the queries (issue 18: the CLI's start-up).
tests/test_cli_startup.py checks that each value is the library's."""
from __future__ import annotations

from pathlib import Path

DEFAULT_STORE = Path(".policykg") / "store"             # kg.stores.oxigraph.DEFAULT_STORE
DEFAULT_DATA = Path("data")                              # kg.build.DEFAULT_DATA
DEFAULT_ENGINE = "oxigraph"                              # kg.validate.DEFAULT_ENGINE
ENGINES = ("oxigraph", "pyshacl", "pyshacl-turbo")       # kg.validate.ENGINES
PASSWORD_ENV = "POLICYKG_ENDPOINT_PASSWORD"              # kg.stores.sparql.PASSWORD_ENV
TIMEOUT_S = 60                                           # kg.stores.sparql.TIMEOUT_S
EXPORT_FORMATS = ("ttl", "trig", "nq", "jsonld")         # kg.export.FORMATS
DEFAULT_REASONER = "hermit"                              # kg.reason.DEFAULT_REASONER
DPV_VERSION = "2.3"                                      # kg.dpv_release.DPV_VERSION
ENV_BASE_URL = "POLICYKG_DPV_BASE_URL"                   # kg.dpv_release.ENV_BASE_URL
DEFAULT_BASE_URL = "https://raw.githubusercontent.com/w3c-cg/dpv/master"   # kg.dpv_release.DEFAULT_BASE_URL
