"""Project tooling: build the notebook, generate the student template, run notebooks."""
