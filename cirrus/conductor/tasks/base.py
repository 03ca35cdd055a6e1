"""Steps with a compensation, and the chain that runs them and unwinds them on failure.

An operation such as a resize is a list of ``Task`` objects run by a ``TaskChain``. The chain
keeps a ledger of the steps that finished, with what each returned, so that on failure it
undoes exactly those (newest first) and the step that failed, without guessing progress from
attributes the steps happen to set.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from cirrus import exception

LOG = logging.getLogger(__name__)

T = TypeVar("T")


class Task(abc.ABC, Generic[T]):
    """One step of an operation: something done by ``execute`` and undone by ``rollback``.

    Contract for implementers:

    * ``rollback`` is idempotent: calling it twice, or after a partial ``execute``, leaves
      the system as one call would.
    * ``rollback`` is harmless when ``execute`` never started (the chain also rolls back
      the failing step, and a step may fail before its body runs).
    * A step whose side effect can half-succeed records what it must compensate *before*
      making the side effect, so ``rollback(None, error)`` can still find and undo it.
    """

    @property
    def name(self) -> str:
        """What logs and the chain's ledger call this step (the class name by default)."""
        return type(self).__name__

    @abc.abstractmethod
    def execute(self) -> T:
        """Do the step and return what ``rollback`` (and later steps) need to know."""

    def rollback(self, result: T | None, error: BaseException) -> None:
        """Undo the step.

        The default does nothing, for steps with no side effect.

        Args:
            result: what ``execute`` returned, or None when it raised or never ran.
            error: the failure that made the chain unwind (for logs and decisions only;
                do not raise it).
        """


class TaskChain:
    """Run tasks in order; on failure undo the ones that finished, newest first.

    A chain runs once. When a step raises (or ``before_step`` raises for it), the chain:

    1. calls ``rollback(None, error)`` on the failing step, so half-done work is undone;
    2. calls ``rollback(result, error)`` on every finished step in reverse order;
    3. calls ``on_failure(error)`` once;
    4. re-raises the original exception object, traceback intact.

    ``CrossCellMoveAbandoned`` passes through with no unwind (the operation's journal is
    left for recovery). A rollback or hook that raises an ``Exception`` is logged with
    the step's name and the unwind carries on; it never replaces the original error.
    (An interrupt such as ``KeyboardInterrupt`` raised inside a rollback does stop the
    unwind.)
    """

    def __init__(
        self,
        tasks: Iterable[Task[Any]],
        *,
        on_failure: Callable[[BaseException], None] | None = None,
        before_step: Callable[[Task[Any]], None] | None = None,
    ) -> None:
        """Prepare a chain.

        Args:
            tasks: the steps, in the order they run.
            on_failure: run once after the unwind with the original error, for the
                operation-wide reset (instance state, fault, notification).
            before_step: run before each step's ``execute`` (for example to journal the
                step); if it raises, that step counts as failed.
        """
        self._tasks = list(tasks)
        self._on_failure = on_failure
        self._before_step = before_step
        self._done: list[tuple[Task[Any], Any]] = []
        self._rolled_back: list[str] = []
        self._started = False

    @property
    def completed(self) -> list[str]:
        """Names of the steps whose ``execute`` returned, in run order."""
        return [task.name for task, _ in self._done]

    @property
    def rolled_back(self) -> list[str]:
        """Names of the steps whose rollback was attempted, in the order it was attempted."""
        return list(self._rolled_back)

    def run(self) -> list[Any]:
        """Run every step and return their results in order.

        Raises:
            RuntimeError: the chain has already been run.
            BaseException: whatever a step or ``before_step`` raised, after the unwind.
        """
        if self._started:
            raise RuntimeError("a TaskChain runs only once")
        self._started = True
        for task in self._tasks:
            # NOTE: BaseException, not Exception: an interrupted operation must still give
            # back what it took; the error is re-raised unchanged below.
            try:
                if self._before_step is not None:
                    self._before_step(task)
                result = task.execute()
            except exception.CrossCellMoveAbandoned:
                # The process is letting go mid-operation: nothing is undone here; whoever
                # takes over finishes or unwinds it from the journal.
                raise
            except BaseException as error:
                self._unwind(task, error)
                raise
            self._done.append((task, result))
        return [result for _, result in self._done]

    def _unwind(self, failed: Task[Any], error: BaseException) -> None:
        LOG.warning("Step %s failed (%s); rolling back %d finished step(s)",
                    failed.name, error, len(self._done))
        self._rollback_one(failed, None, error)
        for task, result in reversed(self._done):
            self._rollback_one(task, result, error)
        if self._on_failure is not None:
            try:
                self._on_failure(error)
            except Exception:
                LOG.exception("on_failure hook failed after step %s failed", failed.name)

    def _rollback_one(self, task: Task[Any], result: Any, error: BaseException) -> None:
        self._rolled_back.append(task.name)
        try:
            task.rollback(result, error)
        except Exception:
            # Carry on: the remaining steps still hold resources that need giving back.
            LOG.exception("Rollback of step %s failed", task.name)
