"""Registration of every option group, and the list for oslo-config-generator."""

import warnings
from collections.abc import Sequence
from typing import Any

from oslo_config import cfg

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from oslo_messaging import opts as messaging_opts

from cirrus.conf import (
    database,
    default,
    network_agent,
    rpc,
    scheduler,
    services,
    testing,
    workarounds,
)

_GROUPS: list[tuple[cfg.OptGroup | None, list[Any]]] = [
    (None, default.OPTS),
    (database.API_DATABASE, database.API_DATABASE_OPTS),
    (database.DATABASE, database.DATABASE_OPTS),
    (database.SERVICES_DATABASE, database.SERVICES_DATABASE_OPTS),
    (scheduler.SCHEDULER, scheduler.SCHEDULER_OPTS),
    (scheduler.FILTER_SCHEDULER, scheduler.FILTER_SCHEDULER_OPTS),
    (rpc.UPGRADE_LEVELS, rpc.UPGRADE_LEVELS_OPTS),
    (services.PLACEMENT, services.PLACEMENT_OPTS),
    (services.PLACEMENT_DATABASE, services.PLACEMENT_DATABASE_OPTS),
    (services.GLANCE, services.GLANCE_OPTS),
    (services.NEUTRON, services.NEUTRON_OPTS),
    (services.CINDER, services.CINDER_OPTS),
    (services.KEYSTONE, services.KEYSTONE_OPTS),
    (services.TOKEN, services.TOKEN_OPTS),
    (services.SERVICE_USER, services.SERVICE_USER_OPTS),
    (services.API, services.API_OPTS),
    (services.WSGI, services.WSGI_OPTS),
    (services.PLACEMENT_WSGI, services.PLACEMENT_WSGI_OPTS),
    (services.FAKE_DRIVER, services.FAKE_DRIVER_OPTS),
    (services.LOCAL_DRIVER, services.LOCAL_DRIVER_OPTS),
    (workarounds.WORKAROUNDS, workarounds.WORKAROUNDS_OPTS),
    (network_agent.NETWORK_AGENT, network_agent.NETWORK_AGENT_OPTS),
    (testing.TESTING, testing.TESTING_OPTS),
]


def register_all(conf: cfg.ConfigOpts) -> None:
    """Register every Cirrus option group, and oslo.messaging's, on ``conf``."""
    for group_name, msg_opts in messaging_opts.list_opts():
        conf.register_opts(list(msg_opts), group=None if group_name == "DEFAULT" else group_name)
    for group, opts in _GROUPS:
        if group is None:
            conf.register_opts(opts)
            continue
        # NOTE: oslo.config keeps the OptGroup object it is given, so sharing the module's
        # groups between ConfigOpts would let one config's overrides leak into another.
        conf.register_group(cfg.OptGroup(group.name, title=group.title, help=group.help))
        conf.register_opts(opts, group=group.name)


def build_config(
    argv: Sequence[str] = (),
    config_files: Sequence[str] = (),
    overrides: dict[str, dict[str, object]] | None = None,
    defaults: dict[str, dict[str, object]] | None = None,
) -> cfg.ConfigOpts:
    """Build and parse a private ConfigOpts for one service process.

    Args:
        argv: command-line arguments for oslo.config (``--config-file`` and such).
        config_files: INI files read in order.
        overrides: ``{group: {option: value}}``; group ``DEFAULT`` for [DEFAULT]. These
            win over the files.
        defaults: the same shape; the files win over these.

    Returns:
        The parsed configuration, to be passed to every constructor.
    """
    conf = cfg.ConfigOpts()
    register_all(conf)
    for group, values in (defaults or {}).items():
        for name, value in values.items():
            conf.set_default(name, value, group=None if group == "DEFAULT" else group)
    conf(list(argv), project="cirrus", default_config_files=list(config_files))
    for group, values in (overrides or {}).items():
        for name, value in values.items():
            conf.set_override(name, value, group=None if group == "DEFAULT" else group)
    return conf


def list_opts() -> list[tuple[str, list[Any]]]:
    """Options by group, for ``oslo-config-generator --namespace cirrus``."""
    return [(group.name if group else "DEFAULT", opts) for group, opts in _GROUPS]
