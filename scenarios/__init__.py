"""remiss.scenarios — the scenario file schema, the loader and the scenario library."""
