"""The command-line interface (Typer); `python -m kg` runs it."""
