"""Server and migration states as data, with the tables that say how they may change."""

import enum


class VmState(enum.StrEnum):
    """Stable state of a server (Nova's vm_states)."""

    BUILDING = "building"
    ACTIVE = "active"
    STOPPED = "stopped"
    RESIZED = "resized"
    ERROR = "error"
    DELETED = "deleted"
    SOFT_DELETED = "soft-delete"
    SHELVED = "shelved"
    SHELVED_OFFLOADED = "shelved_offloaded"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    RESCUED = "rescued"


class TaskState(enum.StrEnum):
    """What is happening to a server right now (Nova's task_states)."""

    SCHEDULING = "scheduling"
    BLOCK_DEVICE_MAPPING = "block_device_mapping"
    NETWORKING = "networking"
    SPAWNING = "spawning"
    DELETING = "deleting"
    POWERING_OFF = "powering-off"
    POWERING_ON = "powering-on"
    REBOOTING = "rebooting"
    REBOOTING_HARD = "rebooting_hard"
    REBOOT_PENDING = "reboot_pending"
    REBOOT_STARTED = "reboot_started"
    REBOOT_PENDING_HARD = "reboot_pending_hard"
    REBOOT_STARTED_HARD = "reboot_started_hard"
    RESIZE_PREP = "resize_prep"
    RESIZE_MIGRATING = "resize_migrating"
    RESIZE_MIGRATED = "resize_migrated"
    RESIZE_FINISH = "resize_finish"
    RESIZE_REVERTING = "resize_reverting"
    RESIZE_CONFIRMING = "resize_confirming"
    MIGRATING = "migrating"


class PowerState(enum.IntEnum):
    """Hypervisor power state (Nova's power_state)."""

    NOSTATE = 0
    RUNNING = 1
    PAUSED = 3
    SHUTDOWN = 4
    CRASHED = 6
    SUSPENDED = 7


_RESIZE_TASKS = frozenset(
    {TaskState.RESIZE_PREP, TaskState.RESIZE_MIGRATING, TaskState.RESIZE_MIGRATED,
     TaskState.RESIZE_FINISH}
)

# (vm_state, task_state) -> API status; task_state None is the default for a vm_state.
_STATUS: dict[str, dict[str | None, str]] = {
    VmState.ACTIVE: {
        None: "ACTIVE",
        TaskState.REBOOTING: "REBOOT",
        TaskState.REBOOT_PENDING: "REBOOT",
        TaskState.REBOOT_STARTED: "REBOOT",
        TaskState.REBOOTING_HARD: "HARD_REBOOT",
        TaskState.REBOOT_PENDING_HARD: "HARD_REBOOT",
        TaskState.REBOOT_STARTED_HARD: "HARD_REBOOT",
        TaskState.MIGRATING: "MIGRATING",
        **dict.fromkeys(_RESIZE_TASKS, "RESIZE"),
    },
    VmState.BUILDING: {None: "BUILD"},
    VmState.STOPPED: {None: "SHUTOFF", **dict.fromkeys(_RESIZE_TASKS, "RESIZE"),
                      TaskState.REBOOTING_HARD: "HARD_REBOOT"},
    VmState.RESIZED: {None: "VERIFY_RESIZE", TaskState.RESIZE_REVERTING: "REVERT_RESIZE"},
    VmState.PAUSED: {None: "PAUSED"},
    VmState.SUSPENDED: {None: "SUSPENDED"},
    VmState.RESCUED: {None: "RESCUE"},
    VmState.ERROR: {None: "ERROR", TaskState.REBOOTING_HARD: "HARD_REBOOT"},
    VmState.DELETED: {None: "DELETED"},
    VmState.SOFT_DELETED: {None: "SOFT_DELETED"},
    VmState.SHELVED: {None: "SHELVED"},
    VmState.SHELVED_OFFLOADED: {None: "SHELVED_OFFLOADED"},
}


def status_from_state(vm_state: str | None, task_state: str | None) -> str:
    """The API ``status`` of a server, as Nova derives it."""
    if task_state == TaskState.DELETING and vm_state != VmState.DELETED:
        return "ACTIVE" if vm_state == VmState.ACTIVE else _STATUS.get(
            vm_state or "", {}).get(None, "UNKNOWN")
    table = _STATUS.get(vm_state or "", {None: "UNKNOWN"})
    return table.get(task_state, table.get(None, "UNKNOWN"))


def states_from_status(status: str) -> list[tuple[str, str | None]]:
    """The (vm_state, task_state) pairs an API status filter selects; task None = any."""
    status = status.upper()
    out: list[tuple[str, str | None]] = []
    for vm_state, table in _STATUS.items():
        for task, st in table.items():
            if st == status:
                out.append((vm_state, task))
    return out


class MigrationStatus(enum.StrEnum):
    """Status of a migration record; changed only through ``check_transition``."""

    PRE_MIGRATING = "pre-migrating"
    MIGRATING = "migrating"
    POST_MIGRATING = "post-migrating"
    FINISHED = "finished"
    CONFIRMING = "confirming"
    CONFIRMED = "confirmed"
    REVERTING = "reverting"
    REVERTED = "reverted"
    ERROR = "error"
    FAILED = "failed"
    DONE = "done"


_M = MigrationStatus
ALLOWED_MIGRATION_TRANSITIONS: frozenset[tuple[MigrationStatus, MigrationStatus]] = frozenset(
    {
        (_M.PRE_MIGRATING, _M.MIGRATING),
        (_M.PRE_MIGRATING, _M.ERROR),
        (_M.MIGRATING, _M.POST_MIGRATING),
        (_M.MIGRATING, _M.ERROR),
        (_M.POST_MIGRATING, _M.FINISHED),
        (_M.POST_MIGRATING, _M.ERROR),
        (_M.FINISHED, _M.CONFIRMING),
        (_M.FINISHED, _M.REVERTING),
        (_M.FINISHED, _M.ERROR),
        (_M.CONFIRMING, _M.CONFIRMED),
        (_M.CONFIRMING, _M.ERROR),
        (_M.CONFIRMING, _M.FINISHED),
        (_M.REVERTING, _M.REVERTED),
        (_M.REVERTING, _M.ERROR),
        (_M.REVERTING, _M.FINISHED),
    }
)


def check_transition(old: MigrationStatus | str, new: MigrationStatus | str) -> None:
    """Raise ValueError unless a migration may go from ``old`` to ``new``."""
    if (MigrationStatus(old), MigrationStatus(new)) not in ALLOWED_MIGRATION_TRANSITIONS:
        raise ValueError(f"migration status may not change from {old} to {new}")


def transition_path(old: MigrationStatus, new: MigrationStatus) -> list[MigrationStatus] | None:
    """The statuses to pass through from ``old`` to ``new`` (shortest; [] when equal)."""
    paths: dict[MigrationStatus, list[MigrationStatus]] = {old: []}
    frontier = [old]
    while frontier and new not in paths:
        nxt = []
        for status in frontier:
            for a, b in ALLOWED_MIGRATION_TRANSITIONS:
                if a == status and b not in paths:
                    paths[b] = [*paths[status], b]
                    nxt.append(b)
        frontier = nxt
    return paths.get(new)


# Statuses after which a migration no longer holds resources on either host; "finished"
# (VERIFY_RESIZE) still does, on both.
MIGRATION_DONE: frozenset[MigrationStatus] = frozenset(
    {_M.CONFIRMED, _M.REVERTED, _M.ERROR, _M.FAILED, _M.DONE})


def migration_in_progress(status: MigrationStatus | str) -> bool:
    """Whether a migration in ``status`` still accounts usage on its hosts."""
    return MigrationStatus(status) not in MIGRATION_DONE
