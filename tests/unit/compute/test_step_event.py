"""An event carried by the step's own transactions reads as one with transactions of its own."""

import pytest
from sqlalchemy.orm import sessionmaker

from cirrus.compute.step_event import StepEvent
from cirrus.db import migration
from cirrus.db.engine import make_engine
from cirrus.objects import instance_action as action_obj


@pytest.fixture
def cell(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cell1'}.sqlite")
    migration.upgrade("cell", engine)
    maker = sessionmaker(engine)
    with maker.begin() as s:
        action_obj.start(s, "inst-1", "create", "req-1", "u", "p")
    yield maker
    engine.dispose()


def _event(cell):
    return StepEvent(cell.begin, "inst-1", "req-1", "compute_build", "host1")


def _events(cell):
    with cell() as s:
        action = action_obj.get_by_request_id(s, "inst-1", "req-1")
    return action, action.events


def test_success_is_written_in_the_first_and_last_transactions(cell):
    event = _event(cell)
    with event.opening():
        pass
    _, events = _events(cell)
    assert [(e.event, e.result, e.host) for e in events] == [("compute_build", None, "host1")]
    with event.closing():
        pass
    action, events = _events(cell)
    assert [(e.event, e.result) for e in events] == [("compute_build", "Success")]
    assert events[0].start_time is not None and events[0].finish_time is not None
    assert action.message is None
    event.fail(RuntimeError("after the end"))  # ignored: the event already ended
    assert [e.result for e in _events(cell)[1]] == ["Success"]


def test_a_failed_first_transaction_still_records_the_start_and_the_error(cell):
    event = _event(cell)
    with pytest.raises(RuntimeError), event.opening():
        raise RuntimeError("no such host")
    assert _events(cell)[1] == ()
    event.fail(RuntimeError("no such host"))
    action, events = _events(cell)
    assert [(e.event, e.result, e.details) for e in events] == [
        ("compute_build", "Error", "no such host")]
    assert "RuntimeError: no such host" in (events[0].traceback or "")
    assert action.message == "Error"


def test_a_failure_between_the_transactions_ends_the_started_event(cell):
    event = _event(cell)
    with event.opening():
        pass
    with pytest.raises(ValueError), event.closing():
        raise ValueError("spawn failed")
    event.fail(ValueError("spawn failed"))
    _, events = _events(cell)
    assert [(e.event, e.result, e.details) for e in events] == [
        ("compute_build", "Error", "spawn failed")]


def test_a_request_without_an_action_runs_unrecorded(cell):
    event = StepEvent(cell.begin, "inst-1", "req-other", "compute_build", "host1")
    with event.opening():
        pass
    with event.closing():
        pass
    event.fail(RuntimeError("x"))
    assert _events(cell)[1] == ()
    with cell() as s, pytest.raises(Exception, match="not found"):
        action_obj.get_by_request_id(s, "inst-1", "req-other")
