"""An action event written in the transactions of the step it records.

``instance_action.event`` gives an event two transactions of its own, one to start it and
one to finish it. A step that writes the server anyway (a build saves it three times)
can carry both in its own first and last transactions instead; the rows are the same.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.objects import instance_action as action_obj


class StepEvent:
    """The event ``name`` of the action ``request_id`` started on a server.

    Use ``opening()`` for the step's first transaction and ``closing()`` for its last, and
    call ``fail(error)`` when the step fails anywhere. A request without a recorded action
    (an internal call) runs unrecorded, as with ``instance_action.event``.

    Args:
        sessions: opens a transaction on the server's cell database.
        instance_uuid: the server.
        request_id: the request that started the action.
        name: the event, e.g. ``compute_build_and_run_instance``.
        host: the host the step runs on.
    """

    def __init__(self, sessions: Callable[[], AbstractContextManager[Session]],
                 instance_uuid: str, request_id: str, name: str, host: str | None) -> None:
        self._sessions = sessions
        self._uuid = instance_uuid
        self._request_id = request_id
        self._name = name
        self._host = host
        self._ids: tuple[int, int] | None = None
        """The action's and the event's ids once the start is committed."""
        self._unrecorded = False
        self._done = False

    def _start(self, session: Session) -> tuple[int, int] | None:
        if self._unrecorded:
            return None
        try:
            return action_obj.event_start(session, self._uuid, self._request_id, self._name,
                                          self._host)
        except exception.NotFound:
            self._unrecorded = True
            return None

    @contextmanager
    def opening(self) -> Iterator[Session]:
        """The step's first transaction, with the start of the event written first."""
        with self._sessions() as s:
            ids = self._start(s)
            yield s
        self._ids = ids

    @contextmanager
    def closing(self) -> Iterator[Session]:
        """The step's last transaction, with the event's success written last."""
        with self._sessions() as s:
            yield s
            if self._ids is not None:
                action_obj.finish_event(s, self._ids, None)
        self._done = True

    def fail(self, error: BaseException) -> None:
        """Record ``error`` as the event's end, in a transaction of its own.

        A start that was lost with a failed first transaction is written with it, so the
        event reads as if it had its own transactions.
        """
        if self._done:
            return
        self._done = True
        with self._sessions() as s:
            ids = self._ids if self._ids is not None else self._start(s)
            if ids is not None:
                action_obj.finish_event(s, ids, error)
