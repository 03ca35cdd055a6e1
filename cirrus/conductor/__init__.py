"""Conductors: the superconductor (API tier) and one conductor per cell."""
