"""Options of the [workarounds] group, named as in nova.conf."""

from oslo_config import cfg

WORKAROUNDS = cfg.OptGroup("workarounds", title="Workarounds",
                           help="Switches for deployments that cannot do what the default needs.")

WORKAROUNDS_OPTS = [
    cfg.BoolOpt(
        "disable_group_policy_check_upcall",
        default=False,
        help="Skip the computes' late server-group check (it reads group members from "
        "the API database). Set it where computes cannot reach that database; the "
        "scheduler's filters are then the only guard.",
    ),
]
