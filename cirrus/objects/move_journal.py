"""The move journal: a durable record of each cross-cell operation's steps (API DB).

One entry per operation (``resize`` covers resize and cold migration; ``confirm``;
``revert``). Before a step acts, the journal says so; after it, the step is marked
done (``write``, by the superconductor running the operation, its only writer). What a
compensation needs to find its side effects (the snapshot
image id, the target cell's migration id...) is recorded in ``data`` before the side
effect is made. A superconductor that starts finds the entries still ``running`` or
``rolling-back`` and finishes them (cirrus.conductor.recovery).
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cirrus.db.api import models
from cirrus.db.base import utcnow


class Operation(enum.StrEnum):
    """What a journal entry tracks."""

    RESIZE = "resize"
    CONFIRM = "confirm"
    REVERT = "revert"


class State(enum.StrEnum):
    """Where an operation is: only ``running`` and ``rolling-back`` need recovery."""

    RUNNING = "running"
    ROLLING_BACK = "rolling-back"
    DONE = "done"
    ROLLED_BACK = "rolled-back"
    FAILED = "failed"


UNFINISHED = (State.RUNNING, State.ROLLING_BACK)


@dataclasses.dataclass(frozen=True)
class StepRecord:
    """One step as the journal knows it: ``started``, ``done`` or ``rolled-back``."""

    name: str
    status: str


@dataclasses.dataclass(frozen=True)
class Entry:
    """A journal entry."""

    id: int
    migration_uuid: str
    instance_uuid: str
    operation: Operation
    source_cell_uuid: str
    target_cell_uuid: str
    state: State
    step: str | None
    steps: tuple[StepRecord, ...]
    data: dict[str, Any]
    request_id: str | None
    user_id: str | None
    project_id: str | None
    owner: str | None

    def started(self, name: str) -> bool:
        """Whether the step ever began (and so may have side effects to undo)."""
        return any(s.name == name for s in self.steps)

    def done(self, name: str) -> bool:
        """Whether the step finished and was not rolled back since."""
        return any(s.name == name and s.status == "done" for s in self.steps)


def _from_row(row: models.MoveJournal) -> Entry:
    return Entry(
        id=row.id, migration_uuid=row.migration_uuid, instance_uuid=row.instance_uuid,
        operation=Operation(row.operation), source_cell_uuid=row.source_cell_uuid,
        target_cell_uuid=row.target_cell_uuid, state=State(row.state), step=row.step,
        steps=tuple(StepRecord(s["name"], s["status"]) for s in json.loads(row.steps)),
        data=json.loads(row.data), request_id=row.request_id, user_id=row.user_id,
        project_id=row.project_id, owner=row.owner)


def begin(session: Session, *, migration_uuid: str, instance_uuid: str,
          operation: Operation, source_cell_uuid: str, target_cell_uuid: str,
          request_id: str | None, user_id: str | None, project_id: str | None,
          owner: str | None, data: dict[str, Any] | None = None) -> Entry:
    """Open an entry for an operation that is about to start."""
    row = models.MoveJournal(
        migration_uuid=migration_uuid, instance_uuid=instance_uuid, operation=operation,
        source_cell_uuid=source_cell_uuid, target_cell_uuid=target_cell_uuid,
        state=State.RUNNING, steps="[]", data=json.dumps(data or {}),
        request_id=request_id, user_id=user_id, project_id=project_id, owner=owner)
    session.add(row)
    session.flush()
    return _from_row(row)


def _row(session: Session, entry_id: int) -> models.MoveJournal:
    row = session.get(models.MoveJournal, entry_id)
    if row is None:
        raise LookupError(f"no move journal entry {entry_id}")
    return row


def write(session: Session, entry_id: int, *, steps: list[dict[str, str]] | None = None,
          step: str | None = None, state: State | None = None,
          data: dict[str, Any] | None = None) -> None:
    """One UPDATE of an entry from its owner's copy (the owner is its only writer)."""
    values: dict[str, Any] = {"updated_at": utcnow()}
    if steps is not None:
        values.update(steps=json.dumps(steps), step=step)
    if state is not None:
        values["state"] = state
    if data is not None:
        values["data"] = json.dumps(data)
    session.execute(update(models.MoveJournal).where(models.MoveJournal.id == entry_id)
                    .values(**values))


def finish(session: Session, entry_id: int, state: State,
           steps: list[dict[str, str]] | None = None) -> None:
    """Close an entry: ``done``, ``rolled-back`` or ``failed`` (with the owner's steps)."""
    values: dict[str, Any] = {"state": state, "updated_at": utcnow()}
    if steps is not None:
        values["steps"] = json.dumps(steps)
    session.execute(update(models.MoveJournal).where(models.MoveJournal.id == entry_id)
                    .values(**values))


def get(session: Session, entry_id: int) -> Entry:
    """One entry by id."""
    return _from_row(_row(session, entry_id))


def unfinished(session: Session) -> list[Entry]:
    """Entries a superconductor must finish, oldest first."""
    rows = session.scalars(select(models.MoveJournal)
                           .where(models.MoveJournal.state.in_(list(UNFINISHED)))
                           .order_by(models.MoveJournal.id))
    return [_from_row(r) for r in rows]


def for_migration(session: Session, migration_uuid: str) -> list[Entry]:
    """Every entry of one migration, oldest first."""
    rows = session.scalars(select(models.MoveJournal)
                           .where(models.MoveJournal.migration_uuid == migration_uuid)
                           .order_by(models.MoveJournal.id))
    return [_from_row(r) for r in rows]


class Latest:
    """The newest journal entry of each migration, optionally per operation."""

    def __init__(self, entries: list[Entry]) -> None:
        self._any: dict[str, Entry] = {}
        self._by_op: dict[tuple[str, Operation], Entry] = {}
        for e in entries:  # oldest first: later entries overwrite
            self._any[e.migration_uuid] = e
            self._by_op[(e.migration_uuid, e.operation)] = e

    def get(self, migration_uuid: str, default: Entry | None = None,
            operation: Operation | None = None) -> Entry | None:
        """The newest entry of a migration (of ``operation`` when given)."""
        if operation is None:
            return self._any.get(migration_uuid, default)
        return self._by_op.get((migration_uuid, operation), default)


def latest_for_migrations(session: Session, migration_uuids: list[str]) -> Latest:
    """The newest entries of many migrations, in one query."""
    if not migration_uuids:
        return Latest([])
    rows = session.scalars(select(models.MoveJournal)
                           .where(models.MoveJournal.migration_uuid.in_(migration_uuids))
                           .order_by(models.MoveJournal.id))
    return Latest([_from_row(r) for r in rows])
