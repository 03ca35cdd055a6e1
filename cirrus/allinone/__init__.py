"""The all-in-one: every service of a two-cell cloud in one process."""
