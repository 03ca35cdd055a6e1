"""[upgrade_levels] group: RPC version caps per service, as in nova.conf."""

from oslo_config import cfg

UPGRADE_LEVELS = cfg.OptGroup(
    "upgrade_levels",
    help="Cap the RPC version sent to each service during a rolling upgrade.",
)

UPGRADE_LEVELS_OPTS = [
    cfg.StrOpt("compute", help="Highest compute RPC version to send, e.g. 6.0."),
    cfg.StrOpt("conductor", help="Highest conductor RPC version to send."),
    cfg.StrOpt("scheduler", help="Highest scheduler RPC version to send."),
]
