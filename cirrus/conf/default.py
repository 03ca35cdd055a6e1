"""Options of the [DEFAULT] group, named as in nova.conf.

transport_url and rpc_response_timeout are oslo.messaging's own options, registered with
the rest of its options by cirrus.conf.opts.
"""

import socket

from oslo_config import cfg

OPTS = [
    cfg.StrOpt("host", default=socket.gethostname(), sample_default="<hostname>",
               help="Name of this service's host."),
    cfg.StrOpt("state_path", default="/var/lib/cirrus", help="Top-level directory for state."),
    cfg.BoolOpt(
        "allow_resize_to_same_host",
        default=False,
        help="Allow the destination of a resize to be the server's current host.",
    ),
    cfg.IntOpt(
        "long_rpc_timeout",
        default=1800,
        min=1,
        help="Seconds to wait for RPC calls known to take long, such as the synchronous "
        "steps of a cross-cell move.",
    ),
    cfg.IntOpt(
        "resize_confirm_window",
        default=0,
        min=0,
        help="Seconds after which a server in VERIFY_RESIZE is confirmed automatically; "
        "0 disables.",
    ),
    cfg.IntOpt(
        "task_state_timeout",
        default=3600,
        min=0,
        help="Seconds after which the superconductor settles a server left in a "
        "task_state with nothing working on it (a lost message, a stopped service): a "
        "move fails as a failed move does (ERROR, a hard reboot brings it back), a build "
        "goes to ERROR, a delete is sent again, anything else has its task_state cleared. "
        "A same-cell move whose migration record shows progress is left alone. Keep it "
        "above the longest single step a host takes. 0 disables.",
    ),
    cfg.StrOpt(
        "default_availability_zone",
        default="nova",
        help="Availability zone of compute hosts that are in no zone aggregate.",
    ),
    cfg.StrOpt(
        "default_schedule_zone",
        help="Availability zone for servers that ask for none; unset means any zone.",
    ),
    cfg.StrOpt("compute_driver", default="fake", help="Virt driver: fake or local."),
    cfg.BoolOpt("force_config_drive", default=False,
                help="Give every server a config drive, whether it asked for one or not."),
    cfg.IntOpt(
        "report_interval",
        default=10,
        min=1,
        help="Seconds between service heartbeats written to the cell database.",
    ),
    cfg.IntOpt(
        "service_down_time",
        default=60,
        min=1,
        help="A service whose last heartbeat is older than this many seconds is down.",
    ),
    cfg.StrOpt(
        "instance_name_template",
        default="instance-%08x",
        help="Template for the hypervisor name of a server, filled with its database id.",
    ),
    cfg.FloatOpt("cpu_allocation_ratio", default=16.0, min=0.0,
                 help="Virtual CPUs per physical CPU reported to Placement."),
    cfg.FloatOpt("ram_allocation_ratio", default=1.5, min=0.0,
                 help="Virtual RAM per physical RAM reported to Placement."),
    cfg.FloatOpt("disk_allocation_ratio", default=1.0, min=0.0,
                 help="Virtual disk per physical disk reported to Placement."),
    cfg.IntOpt("reserved_host_memory_mb", default=512, min=0,
               help="Memory kept back for the host itself."),
    cfg.IntOpt("reserved_host_disk_mb", default=0, min=0,
               help="Disk kept back for the host itself."),
    cfg.IntOpt("reserved_host_cpus", default=0, min=0,
               help="Physical CPUs kept back for the host itself."),
    cfg.IntOpt("update_resources_interval", default=60, min=1,
               help="Seconds between resource tracker audits of a compute host."),
    cfg.FloatOpt(
        "migration_progress_interval",
        default=0.5,
        min=0.0,
        help="Shortest time, in seconds, between two writes of a move's disk progress "
        "(bytes done, total and rate of the current step) to its migration record; the "
        "start and the end of each step are always written.",
    ),
]
