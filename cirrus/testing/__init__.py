"""Helpers importable by every test tier (never by production modules)."""
