"""Instance actions and their events: the per-request history of a server."""

import dataclasses
import datetime
import traceback as tb
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import select
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


def _action_row(session: Session, instance_uuid: str, request_id: str) -> models.InstanceAction:
    row = session.scalar(select(models.InstanceAction).filter_by(
        instance_uuid=instance_uuid, request_id=request_id).order_by(
            models.InstanceAction.id.desc()))
    if row is None:
        raise exception.NotFound(f"Action {request_id} not found")
    return row


def event_start(session: Session, instance_uuid: str, request_id: str, event: str,
                host: str | None) -> None:
    """Record the start of an event of the action started by ``request_id``."""
    action = _action_row(session, instance_uuid, request_id)
    now = utcnow()
    session.add(models.InstanceActionEvent(action_id=action.id, event=event, start_time=now,
                                           host=host))
    action.updated_at = now


def event_finish(session: Session, instance_uuid: str, request_id: str, event: str,
                 error: BaseException | None) -> None:
    """Record the end of an event; an error marks it and its action as failed."""
    action = _action_row(session, instance_uuid, request_id)
    row = session.scalar(select(models.InstanceActionEvent).filter_by(
        action_id=action.id, event=event).order_by(models.InstanceActionEvent.id.desc()))
    now = utcnow()
    if row is None:
        row = models.InstanceActionEvent(action_id=action.id, event=event, start_time=now)
        session.add(row)
    row.finish_time = now
    row.result = "Error" if error else "Success"
    if error is not None:
        row.traceback = "".join(tb.format_exception(error))
        row.details = str(error)[:255] or type(error).__name__
        action.message = "Error"
    action.updated_at = now


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
    try:
        with sessions() as s:
            event_start(s, instance_uuid, request_id, name, host)
    except exception.NotFound:
        yield
        return
    try:
        yield
    except BaseException as exc:
        with sessions() as s:
            event_finish(s, instance_uuid, request_id, name, exc)
        raise
    with sessions() as s:
        event_finish(s, instance_uuid, request_id, name, None)
