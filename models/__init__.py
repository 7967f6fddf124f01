"""Model package: a compiled, pickle-free IsolationForest scorer, its
per-feature explanations, and the on-disk artefact format that ships it."""
