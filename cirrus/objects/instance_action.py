"""Instance actions and their events: the per-request history of a server."""

import dataclasses
import datetime
import traceback as tb
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select, update
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


def _from_row(r: models.InstanceAction, events: tuple[Event, ...] = (),
              event_touched: datetime.datetime | None = None) -> Action:
    # Events do not write their action's row; its updated_at is the later of the two.
    return Action(r.id, r.action, r.instance_uuid, r.request_id, r.user_id, r.project_id,
                  r.start_time, r.finish_time, r.message,
                  _latest(r.updated_at or r.created_at, event_touched), events)


def start(session: Session, instance_uuid: str, action: str, request_id: str,
          user_id: str | None, project_id: str | None) -> None:
    """Record the start of an action."""
    now = utcnow()
    # NOTE: a pre-built Core insert, not an ORM add and flush: every create and every
    # action the API accepts records one, and the row is never read back here.
    session.execute(_INSERT_ACTION, {
        "action": action, "instance_uuid": instance_uuid, "request_id": request_id,
        "user_id": user_id, "project_id": project_id, "start_time": now, "updated_at": now})


_ACTIONS = cast(Table, models.InstanceAction.__table__)
_EVENTS = cast(Table, models.InstanceActionEvent.__table__)
# NOTE: built once; every compute and conductor step records two of these, and building
# a statement costs more than running it on SQLite.
_LAST_ACTION = select(_ACTIONS.c.id).where(
    _ACTIONS.c.instance_uuid == bindparam("uuid"),
    _ACTIONS.c.request_id == bindparam("request_id")).order_by(
        _ACTIONS.c.id.desc()).limit(1)
# The newest action of a request and the newest of its events of each name: a row per
# name found, or one row with a null name if none is.
_NEWEST_EVENTS = select(_ACTIONS.c.id, _EVENTS.c.event, func.max(_EVENTS.c.id)).select_from(
    _ACTIONS.outerjoin(_EVENTS, and_(
        _EVENTS.c.action_id == _ACTIONS.c.id,
        _EVENTS.c.event.in_(bindparam("names", expanding=True))))).where(
    _ACTIONS.c.id == _LAST_ACTION.scalar_subquery()).group_by(_ACTIONS.c.id, _EVENTS.c.event)
_INSERT_EVENT = insert(_EVENTS)
_INSERT_ACTION = insert(_ACTIONS)
# The action is found and its event written in one statement: the row of the action is
# never read into Python, and its updated_at is derived from its events (``_updated``).
_START_EVENT = insert(_EVENTS).from_select(
    ["action_id", "event", "start_time", "host"],
    select(_ACTIONS.c.id, bindparam("name", type_=_EVENTS.c.event.type),
           bindparam("now", type_=_EVENTS.c.start_time.type),
           bindparam("host", type_=_EVENTS.c.host.type)).where(
        _ACTIONS.c.instance_uuid == bindparam("uuid"),
        _ACTIONS.c.request_id == bindparam("request_id")).order_by(
            _ACTIONS.c.id.desc()).limit(1)).returning(_EVENTS.c.action_id, _EVENTS.c.id)
_FINISH_EVENTS = update(_EVENTS).where(_EVENTS.c.id.in_(bindparam("b_events", expanding=True)))
_MARK_FAILED = update(_ACTIONS).where(_ACTIONS.c.id == bindparam("b_action"))
# What Nova's API shows as an action's updated_at: the last time it or one of its events
# was written.
_EVENT_TOUCHED = func.max(func.coalesce(_EVENTS.c.updated_at, _EVENTS.c.created_at))


def _action_id(session: Session, instance_uuid: str, request_id: str) -> int:
    found = session.scalar(_LAST_ACTION, {"uuid": instance_uuid, "request_id": request_id})
    if found is None:
        raise exception.NotFound(f"Action {request_id} not found")
    return int(found)


def exists(session: Session, instance_uuid: str, request_id: str) -> bool:
    """Whether ``request_id`` started an action on the server (one indexed SELECT)."""
    return session.scalar(_LAST_ACTION, {"uuid": instance_uuid,
                                         "request_id": request_id}) is not None


def event_start(session: Session, instance_uuid: str, request_id: str, event: str,
                host: str | None) -> tuple[int, int]:
    """Record the start of an event of the action started by ``request_id``.

    Returns:
        The ids of the action and of the event, for ``finish_event``.
    """
    return _start_events(session, instance_uuid, request_id, (event,), host)[0]


def _start_events(session: Session, instance_uuid: str, request_id: str,
                  names: Sequence[str], host: str | None) -> list[tuple[int, int]]:
    """Insert events of the newest action of ``request_id``; raises NotFound."""
    now = utcnow()
    if not session.get_bind().dialect.insert_returning:
        action = _action_id(session, instance_uuid, request_id)
        return [(action, _insert_event(session, {"action_id": action, "event": name,
                                                 "start_time": now, "host": host}))
                for name in names]
    ids = []
    for name in names:
        row = session.execute(_START_EVENT, {"uuid": instance_uuid, "request_id": request_id,
                                             "name": name, "now": now, "host": host}).first()
        if row is None:
            raise exception.NotFound(f"Action {request_id} not found")
        ids.append((int(row[0]), int(row[1])))
    return ids


def _insert_event(session: Session, values: dict[str, Any]) -> int:
    result = cast(CursorResult[Any], session.execute(_INSERT_EVENT, values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def event_finish(session: Session, instance_uuid: str, request_id: str, event: str,
                 error: BaseException | None) -> None:
    """Record the end of an event; an error marks it and its action as failed."""
    events_finish(session, instance_uuid, request_id, (event,), error)


def events_finish(session: Session, instance_uuid: str, request_id: str,
                  names: Sequence[str], error: BaseException | None) -> None:
    """``event_finish`` for several events of the newest action of ``request_id``: the
    newest event of each name is finished; one never started is recorded as it ends.

    Raises:
        NotFound: ``request_id`` started no action on the server.
    """
    rows = session.execute(_NEWEST_EVENTS, {"uuid": instance_uuid, "request_id": request_id,
                                            "names": list(names)}).all()
    if not rows:
        raise exception.NotFound(f"Action {request_id} not found")
    action = int(rows[0][0])
    found = {name: int(event_id) for _, name, event_id in rows if name is not None}
    ids = [(action, found[name]) if name in found else
           (action, _insert_event(session, {"action_id": action, "event": name,
                                            "start_time": utcnow()}))
           for name in dict.fromkeys(names)]
    finish_events(session, ids, error)


def finish_event(session: Session, ids: tuple[int, int], error: BaseException | None) -> None:
    """Record the end of the event ``event_start`` returned the ids of."""
    finish_events(session, [ids], error)


def finish_events(session: Session, ids: Sequence[tuple[int, int]],
                  error: BaseException | None) -> None:
    """Record the end of events of one action, all with the same result, in one UPDATE."""
    now = utcnow()
    values: dict[str, Any] = {"b_events": [event_id for _, event_id in ids],
                              "finish_time": now, "updated_at": now,
                              "result": "Error" if error else "Success"}
    if error is not None:
        values["traceback"] = "".join(tb.format_exception(error))
        values["details"] = str(error)[:255] or type(error).__name__
    session.execute(_FINISH_EVENTS, values)
    if error is not None:
        for action in dict.fromkeys(action for action, _ in ids):
            session.execute(_MARK_FAILED, {"b_action": action, "message": "Error",
                                           "updated_at": now})


def _latest(*times: datetime.datetime | None) -> datetime.datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def get_by_request_id(session: Session, instance_uuid: str, request_id: str) -> Action:
    """One action with its events; raises NotFound."""
    row = session.get(models.InstanceAction, _action_id(session, instance_uuid, request_id))
    assert row is not None
    rows = list(session.scalars(select(models.InstanceActionEvent).filter_by(
        action_id=row.id).order_by(models.InstanceActionEvent.id)))
    events = tuple(
        Event(e.event, e.start_time, e.finish_time, e.result, e.traceback, e.host, e.details)
        for e in rows)
    touched = _latest(*(e.updated_at or e.created_at for e in rows))
    return _from_row(row, events, touched)


def get_all(session: Session, instance_uuid: str) -> list[Action]:
    """Actions of a server, newest first."""
    touched = (select(_EVENT_TOUCHED).where(_EVENTS.c.action_id == models.InstanceAction.id)
               .scalar_subquery())
    rows = session.execute(select(models.InstanceAction, touched).filter_by(
        instance_uuid=instance_uuid).order_by(models.InstanceAction.created_at.desc(),
                                              models.InstanceAction.id.desc()))
    return [_from_row(r, (), t) for r, t in rows]


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
    with sessions() as s:
        recorder = start_in(s, sessions, instance_uuid, request_id, names, host)
    with recorder:
        yield


def start_in(session: Session, sessions: Callable[[], AbstractContextManager[Session]],
             instance_uuid: str, request_id: str, names: Sequence[str],
             host: str | None) -> "Recorder":
    """Start events in the caller's (writer) transaction, which also reads or writes.

    The events count as started once that transaction commits; the returned recorder,
    entered around the step, finishes them. A request without a recorded action starts
    nothing, and its recorder records nothing.
    """
    try:
        ids = _start_events(session, instance_uuid, request_id, names, host)
    except exception.NotFound:
        return Recorder(sessions, instance_uuid, request_id, names, None, None)
    return Recorder(sessions, instance_uuid, request_id, names, ids, session.get_bind())


class Recorder:
    """Events of one step, started by ``start_in``: finished (Success/Error) when the
    ``with`` block around the step ends, unless ``finishing`` already finished them in
    the transaction of the step's last write.
    """

    def __init__(self, sessions: Callable[[], AbstractContextManager[Session]],
                 instance_uuid: str, request_id: str, names: Sequence[str],
                 ids: list[tuple[int, int]] | None, started_in: Any) -> None:
        self._sessions = sessions
        self._uuid = instance_uuid
        self._request_id = request_id
        self._names = tuple(names)
        self._ids = ids
        self._started_in = started_in
        self._finished = ids is None

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, _type: object, error: BaseException | None, _tb: object) -> None:
        if not self._finished:
            with self._sessions() as s:
                self._finish_in(s, error)
            self._finished = True

    @contextmanager
    def finishing(self, transaction: AbstractContextManager[Session]) -> Iterator[Session]:
        """``transaction``, with the events finished as Success at its end.

        Use it for the step's last write only: whatever fails after it is not recorded.
        If the transaction fails, nothing is finished, and the error that leaves the
        ``with`` block of the recorder is recorded there, in a transaction of its own.
        """
        with transaction as s:
            yield s
            if not self._finished:
                self._finish_in(s, None)
        self._finished = True

    def _finish_in(self, session: Session, error: BaseException | None) -> None:
        assert self._ids is not None
        if session.get_bind() is self._started_in:
            finish_events(session, self._ids, error)
            return
        # The server moved cells meanwhile; its copied rows have other ids there.
        events_finish(session, self._uuid, self._request_id, self._names, error)
