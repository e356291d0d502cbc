"""The HTML report: a static site of the store's policies that opens from file:// (no server, no network,
nothing fetched), in English or French.

    write_report(out, ["whiteprovider"], store=".policykg/store", lang="fr") -> SiteResult

Per policy version (policies/<slug>/<version>/): a one-screen summary (a privacy label whose every item
links to its evidence), the policy's text with every quoted passage highlighted beside its statements, the
validation findings by severity, and a picture of the graph. Then a page per pair of consecutive versions
(kg.diff), a side-by-side page (kg.compare) and the index of every policy version in the store. The package,
by job: `model` (what a page shows, read from the policy graph), `html` (escaping, the page skeleton),
`pages` (one policy's pages), `extra` (index, compare, diff), `build` (writing it all, with workers),
`words` (its sections of the catalogue kg/messages.yaml), `static/` (stylesheet, script, the vendored Cytoscape.js).
"""
from .build import COMPARE_MAX, PolicyPages, SiteResult, write_report

__all__ = ["COMPARE_MAX", "PolicyPages", "SiteResult", "write_report"]
