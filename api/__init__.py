"""remiss.api — the entry points: the `remiss` command line (and later the service)."""
