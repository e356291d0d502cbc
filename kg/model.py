"""The policy model: what a card says, independent of RDF.

`load.py` builds these objects from a card (each value keeps the file:line it came from);
`mapping.py` turns them into triples. This module imports no RDF library.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Location


@dataclass(frozen=True, slots=True)
class Term:
    """A DPV or extension concept used as a value (or an RDF property), by full IRI."""
    iri: str


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal: a plain string, a language-tagged string, or a typed value (datatype = full IRI)."""
    value: str
    lang: str | None = None
    datatype: str | None = None


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A node of the policy graph, by its local id (`<graph>#<id>`)."""
    id: str


Value = Term | Lit | NodeRef


@dataclass(frozen=True, slots=True)
class Fact:
    """One triple a statement asserts: subject node id, property IRI, value."""
    subject: str
    predicate: str
    object: Value
    where: Location


@dataclass
class Evidence:
    """The quote that supports a statement, located in the source snapshot."""
    exact: str
    start: int            # Unicode code points, NFC text, end exclusive (the span <snapshot#char=start,end>)
    end: int
    inferred: bool = False
    note: str | None = None
    review: bool = False               # drafted statements a person should still check (policykg draft)
    confidence: float | None = None    # how sure the draft was, 0 to 1
    found_by: str | None = None        # the lexicon entry or rule that proposed it


@dataclass
class Statement:
    id: str
    subject: str          # the node the statement is about (notice, controller or a process)
    facts: list[Fact]
    evidence: Evidence
    where: Location


@dataclass
class Process:
    id: str
    label: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    policy_scope: bool = False   # holds what the policy says of all its processing
    where: Location | None = None
    within: str | None = None     # the parent process whose context this one shares


@dataclass
class Source:
    url: str | None
    snapshot: str         # path of the snapshot, relative to the sources folder
    sha256: str
    retrieved: str | None
    text: str             # the snapshot's text (NFC), for quotes
    byte_size: int = 0
    file: str | None = None   # where the snapshot was read (absolute), for the build's manifest


@dataclass
class Policy:
    slug: str
    version: str          # YYYY-MM-DD
    title: str
    language: str
    dates: dict[str, Lit]  # issued / modified / valid
    source: Source
    controller_id: str
    processes: list[Process]
    statements: list[Statement]
    card_path: str

    NOTICE_ID = "notice"

    @property
    def key(self) -> str:
        """slug@version, how users name a policy version on the command line."""
        return f"{self.slug}@{self.version}"

    def facts(self):
        for st in self.statements:
            yield from st.facts
