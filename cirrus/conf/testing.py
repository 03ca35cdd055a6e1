"""Options of the [testing] group: hooks for crash tests, off unless a test sets them."""

from oslo_config import cfg

TESTING = cfg.OptGroup(
    "testing", title="Testing",
    help="FOR TESTS ONLY. Never set these in a deployment: a process told to pause stops "
    "working on the operation at that point, forever.")

TESTING_OPTS = [
    cfg.ListOpt(
        "pause_at",
        default=[],
        help="FOR TESTS ONLY. Names of points where the process stops the thread that "
        "reaches them, so that a test can kill it there: a superconductor step of a "
        "cross-cell operation (e.g. PrepResizeAtSource) or an RPC method this process "
        "serves (e.g. prep_snapshot_based_resize_at_source). Empty: no pause.",
    ),
    cfg.StrOpt(
        "pause_marker_dir",
        help="FOR TESTS ONLY. Directory where a paused process writes a file named after "
        "the point it reached. Required with pause_at.",
    ),
]
