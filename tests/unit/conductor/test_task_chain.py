"""TaskChain: run order, reverse unwind, and errors that must not be masked."""

import logging
import traceback

import pytest

from cirrus.conductor.tasks import Task, TaskChain


class StepError(Exception):
    """The failure a step raises in these tests."""


class Step(Task[str]):
    """Records every call in a shared journal; can fail in execute or rollback."""

    def __init__(self, label, journal, *, fail=False, fail_rollback=False):
        self.label = label
        self.journal = journal
        self.fail = fail
        self.fail_rollback = fail_rollback

    @property
    def name(self):
        return self.label

    def execute(self):
        self.journal.append(("execute", self.label))
        if self.fail:
            raise StepError(self.label)
        return f"{self.label}-result"

    def rollback(self, result, error):
        self.journal.append(("rollback", self.label, result, error))
        if self.fail_rollback:
            raise RuntimeError(f"rollback of {self.label} broke")


class NoOp(Task[int]):
    def execute(self):
        return 7


def _steps(journal, n=3, fail_at=None, **kwargs):
    return [Step(f"s{i}", journal, fail=(i == fail_at), **kwargs) for i in range(n)]


def test_success_runs_in_order_and_returns_results():
    journal = []
    chain = TaskChain(_steps(journal))
    assert chain.run() == ["s0-result", "s1-result", "s2-result"]
    assert journal == [("execute", "s0"), ("execute", "s1"), ("execute", "s2")]
    assert chain.completed == ["s0", "s1", "s2"]
    assert chain.rolled_back == []


def test_default_name_and_rollback():
    task = NoOp()
    assert task.name == "NoOp"
    task.rollback(None, StepError())  # the default compensation is a harmless no-op
    assert TaskChain([task]).run() == [7]


@pytest.mark.parametrize("fail_at", [0, 1, 2])
def test_failure_unwinds_finished_steps_in_reverse_plus_the_failing_one(fail_at):
    journal = []
    chain = TaskChain(_steps(journal, fail_at=fail_at))
    with pytest.raises(StepError) as exc_info:
        chain.run()
    error = exc_info.value
    executed = [("execute", f"s{i}") for i in range(fail_at + 1)]
    failing = [("rollback", f"s{fail_at}", None, error)]
    finished = [("rollback", f"s{i}", f"s{i}-result", error) for i in reversed(range(fail_at))]
    assert journal == executed + failing + finished
    assert chain.completed == [f"s{i}" for i in range(fail_at)]
    assert chain.rolled_back == [f"s{fail_at}"] + [f"s{i}" for i in reversed(range(fail_at))]


def test_original_error_is_reraised_unchanged():
    journal = []
    steps = _steps(journal, fail_at=1)
    with pytest.raises(StepError) as exc_info:
        TaskChain(steps).run()
    error = exc_info.value
    assert error.args == ("s1",)
    # Same object the step raised, with the step's own frame still in its traceback.
    assert journal[2][3] is error
    assert "execute" in [frame.name for frame in traceback.extract_tb(error.__traceback__)]


def test_rollback_errors_are_logged_and_do_not_mask(caplog):
    journal = []
    steps = _steps(journal, fail_at=2, fail_rollback=True)
    with caplog.at_level(logging.ERROR), pytest.raises(StepError):
        TaskChain(steps).run()
    # Every rollback still ran although each one raised.
    assert [e[1] for e in journal if e[0] == "rollback"] == ["s2", "s1", "s0"]
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert messages == ["Rollback of step s2 failed", "Rollback of step s1 failed",
                        "Rollback of step s0 failed"]
    assert all(r.exc_info is not None for r in caplog.records if r.levelno == logging.ERROR)


def test_on_failure_runs_once_with_the_original_error_after_the_unwind():
    journal = []
    seen = []

    def on_failure(error):
        seen.append(error)
        journal.append(("on_failure",))

    with pytest.raises(StepError) as exc_info:
        TaskChain(_steps(journal, fail_at=1), on_failure=on_failure).run()
    assert seen == [exc_info.value]
    assert journal[-1] == ("on_failure",)


def test_on_failure_not_called_on_success():
    seen = []
    TaskChain(_steps([]), on_failure=seen.append).run()
    assert seen == []


def test_on_failure_error_is_logged_not_raised(caplog):
    def on_failure(_error):
        raise RuntimeError("hook broke")

    with caplog.at_level(logging.ERROR), pytest.raises(StepError):
        TaskChain(_steps([], fail_at=0), on_failure=on_failure).run()
    assert any("on_failure hook failed after step s0" in r.getMessage()
               for r in caplog.records)


def test_before_step_runs_before_each_execute():
    journal = []
    TaskChain(_steps(journal), before_step=lambda t: journal.append(("before", t.name))).run()
    assert journal == [("before", "s0"), ("execute", "s0"), ("before", "s1"),
                       ("execute", "s1"), ("before", "s2"), ("execute", "s2")]


def test_before_step_failure_is_a_failure_of_that_step():
    journal = []
    error = StepError("journal unavailable")

    def before_step(task):
        if task.name == "s1":
            raise error

    chain = TaskChain(_steps(journal), before_step=before_step)
    with pytest.raises(StepError) as exc_info:
        chain.run()
    assert exc_info.value is error
    # s1 never executed, yet it is rolled back with None (rollback must be harmless then).
    assert journal == [("execute", "s0"), ("rollback", "s1", None, error),
                       ("rollback", "s0", "s0-result", error)]
    assert chain.completed == ["s0"]


def test_base_exceptions_also_unwind():
    journal = []

    class Interrupted(Task[None]):
        def execute(self):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        TaskChain([Step("s0", journal), Interrupted()]).run()
    assert journal[-1][:3] == ("rollback", "s0", "s0-result")


def test_a_chain_runs_only_once():
    chain = TaskChain([NoOp()])
    chain.run()
    with pytest.raises(RuntimeError, match="only once"):
        chain.run()


class Reservation(Task[str]):
    """A step that books its compensation before the side effect, as the contract asks."""

    def __init__(self, pool, *, fail_after_side_effect=False):
        self.pool = pool
        self.fail_after_side_effect = fail_after_side_effect
        self.to_release = None

    def execute(self):
        self.to_release = "slot"  # recorded first, so a half-done execute is still undone
        self.pool.add("slot")
        if self.fail_after_side_effect:
            raise StepError("lost the reply")
        return "slot"

    def rollback(self, result, error):
        if self.to_release is not None:
            self.pool.discard(self.to_release)
            self.to_release = None


def test_rollback_is_idempotent_and_harmless_before_execute():
    pool = set()
    task = Reservation(pool)
    task.rollback(None, StepError())  # never executed: nothing to undo
    assert pool == set()
    task.execute()
    task.rollback("slot", StepError())
    task.rollback("slot", StepError())  # a second call changes nothing
    assert pool == set()


def test_half_done_step_is_compensated_via_rollback_with_none():
    pool = {"other"}
    with pytest.raises(StepError):
        TaskChain([Reservation(pool, fail_after_side_effect=True)]).run()
    assert pool == {"other"}
