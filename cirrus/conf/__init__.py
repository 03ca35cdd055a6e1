"""Configuration: option groups with Nova's names, built into one ConfigOpts per service."""

from cirrus.conf.opts import build_config, register_all

__all__ = ["build_config", "register_all"]
