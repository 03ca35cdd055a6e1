"""Instance actions and their events: the per-request history of a server."""

import dataclasses
import datetime
import traceback as tb
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.base import utcnow
from cirrus.db.cell import models

CREATE = "create"
DELETE = "delete"
RESIZE = "resize"
MIGRATE = "migrate"
CONFIRM_RESIZE = "confirmResize"
REVERT_RESIZE = "revertResize"
STOP = "stop"
START = "start"
REBOOT = "reboot"


@dataclasses.dataclass(frozen=True)
class Event:
    """One step of an action."""

    event: str
    start_time: datetime.datetime | None
    finish_time: datetime.datetime | None
    result: str | None
    traceback: str | None
    host: str | None
    details: str | None


@dataclasses.dataclass(frozen=True)
class Action:
    """An operation on a server, keyed by the request id that started it."""

    id: int
    action: str
    instance_uuid: str
    request_id: str
    user_id: str | None
    project_id: str | None
    start_time: datetime.datetime | None
    finish_time: datetime.datetime | None
    message: str | None
    updated_at: datetime.datetime | None
    events: tuple[Event, ...] = ()


def _from_row(r: models.InstanceAction, events: tuple[Event, ...] = ()) -> Action:
    return Action(r.id, r.action, r.instance_uuid, r.request_id, r.user_id, r.project_id,
                  r.start_time, r.finish_time, r.message, r.updated_at or r.created_at, events)


def start(session: Session, instance_uuid: str, action: str, request_id: str,
          user_id: str | None, project_id: str | None) -> None:
    """Record the start of an action."""
    now = utcnow()
    session.add(models.InstanceAction(
        action=action, instance_uuid=instance_uuid, request_id=request_id, user_id=user_id,
        project_id=project_id, start_time=now, updated_at=now))
    # Events are looked up with Core statements, which do not flush the session.
    session.flush()


_ACTIONS = cast(Table, models.InstanceAction.__table__)
_EVENTS = cast(Table, models.InstanceActionEvent.__table__)
# NOTE: built once; every compute and conductor step records two of these, and building
# a statement costs more than running it on SQLite.
_LAST_ACTION = select(_ACTIONS.c.id).where(
    _ACTIONS.c.instance_uuid == bindparam("uuid"),
    _ACTIONS.c.request_id == bindparam("request_id")).order_by(
        _ACTIONS.c.id.desc()).limit(1)
_LAST_EVENT = select(_EVENTS.c.id).where(
    _EVENTS.c.action_id == bindparam("b_action"), _EVENTS.c.event == bindparam("name")).order_by(
        _EVENTS.c.id.desc()).limit(1)
_TOUCH = update(_ACTIONS).where(_ACTIONS.c.id == bindparam("b_action"))
_INSERT_EVENT = insert(_EVENTS)
_FINISH_EVENT = update(_EVENTS).where(_EVENTS.c.id == bindparam("b_event"))


def _action_id(session: Session, instance_uuid: str, request_id: str) -> int:
    found = session.scalar(_LAST_ACTION, {"uuid": instance_uuid, "request_id": request_id})
    if found is None:
        raise exception.NotFound(f"Action {request_id} not found")
    return int(found)


def event_start(session: Session, instance_uuid: str, request_id: str, event: str,
                host: str | None) -> tuple[int, int]:
    """Record the start of an event of the action started by ``request_id``.

    Returns:
        The ids of the action and of the event, for ``finish_event``.
    """
    action = _action_id(session, instance_uuid, request_id)
    now = utcnow()
    event_id = _insert_event(session, {"action_id": action, "event": event,
                                       "start_time": now, "host": host})
    session.execute(_TOUCH, {"b_action": action, "updated_at": now})
    return action, event_id


def _insert_event(session: Session, values: dict[str, Any]) -> int:
    result = cast(CursorResult[Any], session.execute(_INSERT_EVENT, values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def event_finish(session: Session, instance_uuid: str, request_id: str, event: str,
                 error: BaseException | None) -> None:
    """Record the end of an event; an error marks it and its action as failed."""
    action = _action_id(session, instance_uuid, request_id)
    found = session.scalar(_LAST_EVENT, {"b_action": action, "name": event})
    if found is None:
        found = _insert_event(session, {"action_id": action, "event": event,
                                        "start_time": utcnow()})
    finish_event(session, (action, int(found)), error)


def finish_event(session: Session, ids: tuple[int, int], error: BaseException | None) -> None:
    """Record the end of the event ``event_start`` returned the ids of."""
    action, event_id = ids
    now = utcnow()
    values: dict[str, Any] = {"b_event": event_id, "finish_time": now,
                                 "result": "Error" if error else "Success"}
    touch: dict[str, Any] = {"b_action": action, "updated_at": now}
    if error is not None:
        values["traceback"] = "".join(tb.format_exception(error))
        values["details"] = str(error)[:255] or type(error).__name__
        touch["message"] = "Error"
    session.execute(_FINISH_EVENT, values)
    session.execute(_TOUCH, touch)


def _action_row(session: Session, instance_uuid: str, request_id: str) -> models.InstanceAction:
    row = session.get(models.InstanceAction, _action_id(session, instance_uuid, request_id))
    assert row is not None
    return row


def get_by_request_id(session: Session, instance_uuid: str, request_id: str) -> Action:
    """One action with its events; raises NotFound."""
    row = _action_row(session, instance_uuid, request_id)
    events = tuple(
        Event(e.event, e.start_time, e.finish_time, e.result, e.traceback, e.host, e.details)
        for e in session.scalars(select(models.InstanceActionEvent).filter_by(
            action_id=row.id).order_by(models.InstanceActionEvent.id))
    )
    return _from_row(row, events)


def get_all(session: Session, instance_uuid: str) -> list[Action]:
    """Actions of a server, newest first."""
    rows = session.scalars(select(models.InstanceAction).filter_by(
        instance_uuid=instance_uuid).order_by(models.InstanceAction.created_at.desc(),
                                              models.InstanceAction.id.desc()))
    return [_from_row(r) for r in rows]


@contextmanager
def event(sessions: Callable[[], AbstractContextManager[Session]], instance_uuid: str,
          request_id: str, name: str, host: str | None) -> Iterator[None]:
    """Wrap a step in an action event: started before, finished (Success/Error) after.

    A request without a recorded action (an internal or periodic call) runs unrecorded.
    """
    with events(sessions, instance_uuid, request_id, (name,), host):
        yield


@contextmanager
def events(sessions: Callable[[], AbstractContextManager[Session]], instance_uuid: str,
           request_id: str, names: Sequence[str], host: str | None) -> Iterator[None]:
    """``event`` for several events around one step: one transaction to start them all,
    one to finish them all. ``sessions`` names the server's cell at the time of the call.
    """
    try:
        with sessions() as s:
            action = _action_id(s, instance_uuid, request_id)
            now = utcnow()
            ids = [_insert_event(s, {"action_id": action, "event": name, "start_time": now,
                                     "host": host}) for name in names]
            s.execute(_TOUCH, {"b_action": action, "updated_at": now})
            started_in = s.get_bind()
    except exception.NotFound:
        yield
        return

    def _finish(error: BaseException | None) -> None:
        with sessions() as s:
            if s.get_bind() is started_in:
                for event_id in ids:
                    finish_event(s, (action, event_id), error)
                return
            # The server moved cells meanwhile; its copied rows have other ids there.
            for name in names:
                event_finish(s, instance_uuid, request_id, name, error)

    try:
        yield
    except BaseException as exc:
        _finish(exc)
        raise
    _finish(None)
