"""The SPARQL query library (one .rq per question); data, shipped in the package as kg._queries."""
