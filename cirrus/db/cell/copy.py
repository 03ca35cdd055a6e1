"""Copy one server's rows between two cell databases, driven by the cell schema.

A cross-cell resize gives the server a second life in the target cell: the superconductor
copies its records there (hidden until the move is confirmed), hard-deletes whichever copy
loses, and on revert brings back the history the server gathered in the target cell.

The copy is driven by ``PLAN``, which only says how a table's rows are found and which
columns are per-database keys; every other column is taken from the table itself, so a
column added to ``cirrus.db.cell.models`` is copied without touching this module.

The number of SQL statements does not grow with the server's history (one SELECT and at
most one executemany INSERT per table), because a long-lived server can have hundreds of
actions and events and the copy runs while the server is being moved.

Nothing here commits: the caller holds one transaction per cell and decides when the copy
becomes visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    ColumnElement,
    MetaData,
    String,
    Table,
    and_,
    delete,
    exists,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.base import CellBase
from cirrus.db.cell import models  # noqa: F401  (registers the cell tables on the metadata)

Row = dict[str, Any]
KeyMaps = Mapping[str, Mapping[Any, Any]]


class CopyMismatch(exception.Conflict):
    """The target's new keys cannot be matched one to one with the copied rows."""

    msg_fmt = "Cannot match copied %(table)s rows of %(instance_uuid)s: %(reason)s"


@dataclass(frozen=True)
class ParentLink:
    """A column holding the per-database key of a row in another planned table."""

    column: str
    table: str
    key: str


@dataclass(frozen=True)
class TableSpec:
    """How one table's rows of a server are found, and which columns are local keys."""

    name: str
    match: str | None = None
    """Column equal to the server's uuid; None when rows are found through ``parent``."""
    parent: ParentLink | None = None
    """Rows belong to the server through their parent; the link column is remapped."""
    generated: frozenset[str] = frozenset()
    """Keys each database generates itself: dropped on copy and re-generated."""

    def __post_init__(self) -> None:
        # A row found both ways (or neither) would make delete and copy disagree on it.
        if (self.match is None) == (self.parent is None):
            raise ValueError(f"{self.name}: exactly one of match and parent must be set")

    @property
    def keys(self) -> frozenset[str]:
        """Columns that are not copied verbatim (dropped or remapped)."""
        linked = {self.parent.column} if self.parent else set()
        return self.generated | linked


_ID = frozenset({"id"})
_ACTION_LINK = ParentLink(column="action_id", table="instance_actions", key="id")

# Parents come before their children: copies insert in this order, deletes in reverse.
PLAN: tuple[TableSpec, ...] = (
    TableSpec("instances", match="uuid", generated=_ID),
    TableSpec("instance_extra", match="instance_uuid", generated=_ID),
    TableSpec("instance_system_metadata", match="instance_uuid", generated=_ID),
    TableSpec("instance_metadata", match="instance_uuid", generated=_ID),
    TableSpec("instance_info_caches", match="instance_uuid", generated=_ID),
    TableSpec("block_device_mapping", match="instance_uuid", generated=_ID),
    TableSpec("virtual_interfaces", match="instance_uuid", generated=_ID),
    TableSpec("tags", match="resource_id"),
    TableSpec("instance_actions", match="instance_uuid", generated=_ID),
    TableSpec("instance_actions_events", parent=_ACTION_LINK, generated=_ID),
    TableSpec("instance_faults", match="instance_uuid", generated=_ID),
    TableSpec("migrations", match="instance_uuid", generated=_ID),
)

NOT_COPIED_REASONS: Mapping[str, str] = MappingProxyType({
    "services": "a service belongs to a host of one cell, not to a server",
    "compute_nodes": "a compute node belongs to a host of one cell and is a Placement "
                     "provider there; the target cell has its own",
})
NOT_COPIED: frozenset[str] = frozenset(NOT_COPIED_REASONS)

_SPECS: Mapping[str, TableSpec] = MappingProxyType({spec.name: spec for spec in PLAN})
_PARENTS: frozenset[str] = frozenset(s.parent.table for s in PLAN if s.parent)
_HISTORY = ("instance_actions", "instance_actions_events", "instance_faults")
_NO_OVERRIDES: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class CopyReport:
    """Rows written per table, so callers can log what a move carried."""

    rows: Mapping[str, int] = field(hash=False)

    def __getitem__(self, table: str) -> int:
        return self.rows.get(table, 0)

    @property
    def total(self) -> int:
        """All rows written."""
        return sum(self.rows.values())


def _table(name: str) -> Table:
    return CellBase.metadata.tables[name]


def _spec(name: str) -> TableSpec:
    try:
        return _SPECS[name]
    except KeyError:
        raise KeyError(f"{name} is not in the copy plan") from None


def columns_of(table_name: str) -> tuple[str, ...]:
    """Every column of a cell table, in schema order."""
    return tuple(column.name for column in _table(table_name).c)


def copied_columns(table_name: str) -> tuple[str, ...]:
    """The columns copied verbatim: all of them but the per-database keys."""
    keys = _spec(table_name).keys
    return tuple(name for name in columns_of(table_name) if name not in keys)


def _owned(spec: TableSpec, instance_uuid: str, *, read_deleted: bool) -> ColumnElement[bool]:
    """Where-clause of the server's rows of ``spec``; children go through their parents."""
    table = _table(spec.name)
    if spec.match is not None:
        clause = table.c[spec.match] == instance_uuid
    else:
        assert spec.parent is not None  # guaranteed by TableSpec.__post_init__
        link = spec.parent
        parent = _table(link.table)
        parents = select(parent.c[link.key]).where(
            _owned(_spec(link.table), instance_uuid, read_deleted=read_deleted))
        clause = table.c[link.column].in_(parents)
    if not read_deleted and "deleted" in table.c:
        # Soft-deleted rows keep deleted = their id; live rows are exactly deleted == 0.
        clause = and_(clause, table.c.deleted == 0)
    return clause


def _read(session: Session, spec: TableSpec, instance_uuid: str, *,
          read_deleted: bool) -> list[Row]:
    # Key order matters: rows inserted in this order get ascending new keys, which is how
    # the new keys are matched back to the old ones.
    table = _table(spec.name)
    stmt = (select(table)
            .where(_owned(spec, instance_uuid, read_deleted=read_deleted))
            .order_by(*table.primary_key.columns))
    return [dict(row) for row in session.execute(stmt).mappings()]


def _holding(session: Session, instance_uuid: str, *, read_deleted: bool) -> frozenset[str]:
    """The planned tables that hold rows of the server, in one statement.

    A server has rows in about half of the tables; reading or deleting only those saves
    a statement per empty table. Run in the transaction that then reads or deletes, so
    what it finds is what those see.
    """
    probe = union_all(*(
        select(literal(spec.name, String).label("name"))
        .where(exists().where(_owned(spec, instance_uuid, read_deleted=read_deleted)))
        for spec in PLAN))
    return frozenset(session.execute(probe).scalars())


def _prepare(spec: TableSpec, row: Row, key_maps: KeyMaps) -> Row:
    values = {name: value for name, value in row.items() if name not in spec.generated}
    if spec.parent is not None:
        values[spec.parent.column] = key_maps[spec.parent.table][row[spec.parent.column]]
    return values


def _write(target: Session, spec: TableSpec, rows: Sequence[Row], key_maps: KeyMaps) -> int:
    if not rows:
        return 0
    values = [_prepare(spec, row, key_maps) for row in rows]
    target.execute(insert(_table(spec.name)), values)
    return len(values)


def _map_keys(target: Session, spec: TableSpec, instance_uuid: str, rows: Sequence[Row],
              floor: Any = None) -> dict[Any, Any]:
    """Old key -> new key of ``rows`` just written to ``target``, with one SELECT.

    ``floor`` is the highest key the server already had in ``target``: keys are handed out
    in ascending order, so everything above it was written by this copy.
    """
    if not rows:
        return {}
    key = next(s.parent.key for s in PLAN if s.parent and s.parent.table == spec.name)
    column = _table(spec.name).c[key]
    stmt = select(column).where(_owned(spec, instance_uuid, read_deleted=True))
    if floor is not None:
        stmt = stmt.where(column > floor)
    new_keys = target.execute(stmt.order_by(column)).scalars().all()
    if len(new_keys) != len(rows):
        # Rows of the server were already there (or were added meanwhile): linking by
        # position would attach children to the wrong parents, so refuse.
        raise CopyMismatch(table=spec.name, instance_uuid=instance_uuid,
                           reason=f"wrote {len(rows)}, found {len(new_keys)}")
    return dict(zip((row[key] for row in rows), new_keys, strict=True))


def _checked_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    spec = _spec("instances")
    bad = set(overrides) - set(copied_columns("instances"))
    # The uuid ties every other row to the server; changing it would orphan them.
    if spec.match is not None and spec.match in overrides:
        bad.add(spec.match)
    if bad:
        raise ValueError(f"cannot override instances columns: {sorted(bad)}")
    return dict(overrides)


def copy_instance(source: Session, target: Session, instance_uuid: str, *,
                  instance_overrides: Mapping[str, Any] = _NO_OVERRIDES,
                  read_deleted: bool = False) -> CopyReport:
    """Insert into ``target`` the rows ``source`` holds for one server.

    ``instance_overrides`` sets columns of the copied ``instances`` row (a cross-cell
    resize passes ``{"hidden": True}`` so the copy stays out of listings until confirmed).
    Soft-deleted rows are left behind unless ``read_deleted``; copied ones keep their
    source ``deleted`` value, which is still non-zero (so still deleted) though no longer
    their own new id, and no unique constraint of a planned table includes it.
    Raises InstanceNotFound when ``source`` has no such server, CopyMismatch when
    ``target`` already holds some of its keyed rows (hard-delete the old copy first).
    """
    overrides = _checked_overrides(instance_overrides)
    counts: dict[str, int] = {}
    key_maps: dict[str, Mapping[Any, Any]] = {}
    holding = _holding(source, instance_uuid, read_deleted=read_deleted)
    for spec in PLAN:
        rows = (_read(source, spec, instance_uuid, read_deleted=read_deleted)
                if spec.name in holding else [])
        if spec.name == "instances":
            if not rows:
                raise exception.InstanceNotFound(instance_id=instance_uuid)
            rows[0].update(overrides)
        counts[spec.name] = _write(target, spec, rows, key_maps)
        if spec.name in _PARENTS:
            key_maps[spec.name] = _map_keys(target, spec, instance_uuid, rows)
    return CopyReport(MappingProxyType(counts))


def _rowcount(result: Result[Any]) -> int:
    # A DELETE always yields a cursor result; the check only narrows the type.
    return result.rowcount if isinstance(result, CursorResult) else 0


def hard_delete_instance(session: Session, instance_uuid: str) -> int:
    """Remove every row of one server from this cell, soft-deleted ones included.

    Used for the copy a move leaves behind (the target's on failure or revert, the
    source's on confirm), so that a later copy of the same server can take the unique
    uuids again. Children go first so foreign keys hold without relying on cascades.
    Returns the number of rows removed; a second call removes nothing.
    """
    removed = 0
    holding = _holding(session, instance_uuid, read_deleted=True)
    for spec in reversed(PLAN):
        if spec.name not in holding:
            continue
        stmt = delete(_table(spec.name)).where(_owned(spec, instance_uuid, read_deleted=True))
        removed += _rowcount(session.execute(stmt))
    return removed


@dataclass(frozen=True)
class _Known:
    """What the destination of ``copy_new_history`` already holds of the server."""

    action_by_request: Mapping[str, Any]
    events: frozenset[tuple[Any, str]]
    faults: frozenset[tuple[Any, str | None]]
    floor: Any
    unfinished: Mapping[tuple[Any, str], Any]
    """(action id, event name) -> id of an event the destination holds still open."""


def _known_history(session: Session, instance_uuid: str) -> _Known:
    # Deleted rows count as known too: bringing them back would duplicate history.
    actions, events, faults = (_table(name) for name in _HISTORY)
    owned = actions.c.instance_uuid == instance_uuid
    action_rows = session.execute(
        select(actions.c.id, actions.c.request_id).where(owned).order_by(actions.c.id)).all()
    by_request: dict[str, Any] = {}
    for action_id, request_id in action_rows:
        by_request.setdefault(request_id, action_id)
    event_rows = session.execute(
        select(events.c.action_id, events.c.event, events.c.id, events.c.finish_time).where(
            events.c.action_id.in_(select(actions.c.id).where(owned)))).all()
    fault_rows = session.execute(select(faults.c.created_at, faults.c.message).where(
        faults.c.instance_uuid == instance_uuid)).all()
    return _Known(
        action_by_request=by_request,
        events=frozenset((a, e) for a, e, _, _ in event_rows),
        faults=frozenset((c, m) for c, m in fault_rows),
        floor=max((row[0] for row in action_rows), default=None),
        unfinished={(a, e): i for a, e, i, done in event_rows if done is None},
    )


def _new_events(events: Iterable[Row], copied: Mapping[Any, Any],
                shared: Mapping[Any, Any], known: _Known) -> list[Row]:
    """Events of copied actions, and events of shared actions that the target lacks."""
    link = _ACTION_LINK.column
    fresh = []
    for event in events:
        action = event[link]
        if action in copied or (shared[action], event["event"]) not in known.events:
            fresh.append(event)
    return fresh


def _finish_open_events(target: Session, events: Iterable[Row], shared: Mapping[Any, Any],
                        known: _Known) -> int:
    """Close events the destination copied while open and the source has finished since.

    A move's conductor events are copied to the target cell while they run and end in
    whichever cell then holds the server; without this the other copy shows them
    running forever. One UPDATE per such event (a move leaves two at most).
    """
    table = _table("instance_actions_events")
    link = _ACTION_LINK.column
    closed = 0
    for event in events:
        action = event[link]
        key = (shared.get(action), event["event"])
        if action in shared and event["finish_time"] is not None and key in known.unfinished:
            target.execute(update(table).where(table.c.id == known.unfinished[key]).values(
                finish_time=event["finish_time"], result=event["result"],
                traceback=event["traceback"], details=event["details"]))
            closed += 1
    return closed


def copy_new_history(source: Session, target: Session, instance_uuid: str) -> CopyReport:
    """Bring into ``target`` the actions, events and faults recorded only in ``source``.

    On revert the server returns to its original cell (``target`` here); what it went
    through in the other cell (the resize action's later events, the revert action, any
    fault) would otherwise be lost with that cell's copy. Actions match by request id,
    events by action and name, faults by creation time and message.
    """
    actions_spec, events_spec, faults_spec = (_spec(name) for name in _HISTORY)
    known = _known_history(target, instance_uuid)
    actions = _read(source, actions_spec, instance_uuid, read_deleted=False)
    events = _read(source, events_spec, instance_uuid, read_deleted=False)
    faults = _read(source, faults_spec, instance_uuid, read_deleted=False)

    new_actions = [a for a in actions if a["request_id"] not in known.action_by_request]
    shared = {a["id"]: known.action_by_request[a["request_id"]]
              for a in actions if a["request_id"] in known.action_by_request}
    counts = {actions_spec.name: _write(target, actions_spec, new_actions, {})}
    copied = _map_keys(target, actions_spec, instance_uuid, new_actions, known.floor)

    new_events = _new_events(events, copied, shared, known)
    key_maps = {actions_spec.name: {**shared, **copied}}
    counts[events_spec.name] = _write(target, events_spec, new_events, key_maps)
    _finish_open_events(target, events, shared, known)

    new_faults = [f for f in faults if (f["created_at"], f["message"]) not in known.faults]
    counts[faults_spec.name] = _write(target, faults_spec, new_faults, {})
    return CopyReport(MappingProxyType(counts))


def _fk_to_instances(table: Table) -> bool:
    return any(fk.target_fullname == "instances.uuid" for fk in table.foreign_keys)


def _spec_problems(spec: TableSpec, metadata: MetaData, earlier: set[str]) -> list[str]:
    if spec.name not in metadata.tables:
        return [f"{spec.name}: planned but not in the schema"]
    table = metadata.tables[spec.name]
    named = set(spec.generated) | ({spec.match} if spec.match else set())
    if spec.parent is not None:
        named.add(spec.parent.column)
        if spec.parent.table not in earlier:
            return [f"{spec.name}: parent {spec.parent.table} must be planned before it"]
    return [f"{spec.name}.{name}: no such column" for name in sorted(named - set(table.c.keys()))]


def check_plan(metadata: MetaData = CellBase.metadata) -> tuple[str, ...]:
    """What is wrong with ``PLAN`` against the schema; empty when the copy is complete.

    Run by the unit tests so that a table added to the cell schema cannot be silently left
    out of cross-cell moves.
    """
    problems: list[str] = []
    earlier: set[str] = set()
    for spec in PLAN:
        problems += _spec_problems(spec, metadata, earlier)
        earlier.add(spec.name)
    for name, table in metadata.tables.items():
        if name in earlier and name in NOT_COPIED:
            problems.append(f"{name}: both planned and not copied")
        elif name not in earlier and name not in NOT_COPIED:
            problems.append(f"{name}: neither planned nor listed in NOT_COPIED")
        elif name not in earlier and ("instance_uuid" in table.c or _fk_to_instances(table)):
            problems.append(f"{name}: holds server rows but is not planned")
    return tuple(problems)
