"""The version of policykg (one place: the package, the reports and `policykg --version` read it)."""
__version__ = "0.1.0"
