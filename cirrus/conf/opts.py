"""Registration of every option group, and the list for oslo-config-generator."""

from collections.abc import Sequence

from oslo_config import cfg

from cirrus.conf import database, default, rpc, scheduler, services

_GROUPS: list[tuple[cfg.OptGroup | None, list[cfg.Opt]]] = [
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
]


def register_all(conf: cfg.ConfigOpts) -> None:
    """Register every Cirrus option group on ``conf`` (idempotent)."""
    for group, opts in _GROUPS:
        if group is not None:
            conf.register_group(group)
        conf.register_opts(opts, group=group)


def build_config(
    argv: Sequence[str] = (),
    config_files: Sequence[str] = (),
    overrides: dict[str, dict[str, object]] | None = None,
) -> cfg.ConfigOpts:
    """Build and parse a private ConfigOpts for one service process.

    Args:
        argv: command-line arguments for oslo.config (``--config-file`` and such).
        config_files: INI files read in order.
        overrides: ``{group: {option: value}}``; group ``DEFAULT`` for [DEFAULT].

    Returns:
        The parsed configuration, to be passed to every constructor.
    """
    conf = cfg.ConfigOpts()
    register_all(conf)
    conf(list(argv), project="cirrus", default_config_files=list(config_files))
    for group, values in (overrides or {}).items():
        for name, value in values.items():
            conf.set_override(name, value, group=None if group == "DEFAULT" else group)
    return conf


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options by group, for ``oslo-config-generator --namespace cirrus``."""
    return [(group.name if group else "DEFAULT", opts) for group, opts in _GROUPS]
