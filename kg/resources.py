"""Where the files shipped inside the package are: the ontology, the SHACL profiles and the query library
(ontology/, shapes/ and queries/ in the repository, packaged as kg.ontology, kg._shapes, kg._queries)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def ontology_dir() -> Path:
    """The folder of the shipped vocabulary files (ontology/ in the repository)."""
    return Path(str(resources.files("kg.ontology")))


def shapes_dir() -> Path:
    """The folder of the SHACL profiles (shapes/ in the repository; one sub-folder per profile)."""
    return Path(str(resources.files("kg._shapes")))


def queries_dir() -> Path:
    """The folder of the SPARQL query library (queries/ in the repository)."""
    return Path(str(resources.files("kg._queries")))


def package_file(name: str) -> Path:
    """A data file shipped in the kg package itself (e.g. messages.yaml, card.schema.json)."""
    return Path(str(resources.files("kg"))) / name
