"""SHACL profiles (one folder each); data, shipped in the package as kg._shapes."""
