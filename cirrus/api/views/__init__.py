"""Response serialisers per resource; version branching lives here, one place each."""
