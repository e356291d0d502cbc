"""Where the files shipped with policykg are: the ontology (inside the package), and the
project folders data/, shapes/, queries/ of a source checkout."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def ontology_dir() -> Path:
    """The folder of the shipped vocabulary files (ontology/ in the repository)."""
    return Path(str(resources.files("kg.ontology")))


def shapes_dir() -> Path:
    """The folder of the SHACL profiles (shapes/ in the repository; one sub-folder per profile)."""
    return Path(str(resources.files("kg._shapes")))


def project_root() -> Path:
    """The repository root of a source checkout (where data/ and pyproject.toml are)."""
    return Path(__file__).resolve().parent.parent
