"""[scheduler] and [filter_scheduler] groups, named as in nova.conf."""

from oslo_config import cfg

SCHEDULER = cfg.OptGroup("scheduler", help="Scheduler service.")
FILTER_SCHEDULER = cfg.OptGroup("filter_scheduler", help="Filters and weighers.")

SCHEDULER_OPTS = [
    cfg.IntOpt(
        "max_attempts",
        default=3,
        min=1,
        help="Hosts tried for one server (the selected host plus alternates).",
    ),
    cfg.IntOpt(
        "max_placement_results",
        default=1000,
        min=1,
        help="Most allocation candidates asked of Placement per request.",
    ),
]

DEFAULT_FILTERS = [
    "ComputeFilter",
    "AvailabilityZoneFilter",
    "AggregateInstanceExtraSpecsFilter",
    "ImagePropertiesFilter",
    "SameHostFilter",
    "DifferentHostFilter",
    "ServerGroupAntiAffinityFilter",
    "ServerGroupAffinityFilter",
]

FILTER_SCHEDULER_OPTS = [
    cfg.ListOpt("enabled_filters", default=DEFAULT_FILTERS, help="Filters run in order."),
    cfg.ListOpt(
        "weight_classes",
        default=["RAMWeigher", "CPUWeigher", "DiskWeigher", "CrossCellWeigher",
                 "ServerGroupSoftAffinityWeigher", "ServerGroupSoftAntiAffinityWeigher"],
        help="Weighers whose weighted sum orders the hosts that passed the filters.",
    ),
    cfg.FloatOpt("ram_weight_multiplier", default=1.0, help="Positive spreads by free RAM."),
    cfg.FloatOpt("cpu_weight_multiplier", default=1.0, help="Positive spreads by free vCPUs."),
    cfg.FloatOpt("disk_weight_multiplier", default=1.0, help="Positive spreads by free disk."),
    cfg.FloatOpt(
        "soft_affinity_weight_multiplier",
        default=1.0,
        min=0.0,
        help="How strongly a soft-affinity group packs its members: hosts weigh by the "
        "number of the group's other members they run.",
    ),
    cfg.FloatOpt(
        "soft_anti_affinity_weight_multiplier",
        default=1.0,
        min=0.0,
        help="How strongly a soft-anti-affinity group spreads its members: hosts weigh "
        "by minus the number of the group's other members they run.",
    ),
    cfg.FloatOpt(
        "cross_cell_move_weight_multiplier",
        default=1000000.0,
        help="Positive prefers hosts in the server's current cell during a move that may "
        "cross cells; negative prefers other cells (drains the source cell). Aggregate "
        "metadata of the same name overrides it for the aggregate's hosts.",
    ),
    cfg.IntOpt(
        "host_subset_size",
        default=1,
        min=1,
        help="Pick the host at random among this many best-weighed hosts.",
    ),
]
