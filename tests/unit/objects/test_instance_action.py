"""Action events: started and finished around a step, also when the server changes cells."""

import pytest
from sqlalchemy.orm import sessionmaker

from cirrus.db import migration
from cirrus.db.engine import make_engine
from cirrus.objects import instance_action as action_obj


@pytest.fixture
def cells(tmp_path):
    makers = []
    for name in ("cell1", "cell2"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.sqlite")
        migration.upgrade("cell", engine)
        makers.append(sessionmaker(engine))
    yield makers
    for maker in makers:
        maker.kw["bind"].dispose()


def _results(maker, instance_uuid, request_id):
    with maker() as s:
        got = action_obj.get_by_request_id(s, instance_uuid, request_id)
    return {e.event: e.result for e in got.events}


def test_an_event_ends_in_the_cell_the_server_moved_to(cells):
    here, there = cells
    with there.begin() as s:
        # Rows of other servers so the moved server's rows get other ids in the target.
        for n in range(3):
            action_obj.start(s, f"other-{n}", "resize", f"req-o{n}", "u", "p")
            action_obj.event_start(s, f"other-{n}", f"req-o{n}", "cold_migrate", "sc")
    with here.begin() as s:
        action_obj.start(s, "inst-1", "migrate", "req-1", "u", "p")
    current = [here]

    def sessions():
        return current[0].begin()  # the cell the mapping names at the time of the call

    with action_obj.event(sessions, "inst-1", "req-1", "cold_migrate", "sc"):
        with there.begin() as s:  # what the cross-cell copy does
            action_obj.start(s, "inst-1", "migrate", "req-1", "u", "p")
            action_obj.event_start(s, "inst-1", "req-1", "cold_migrate", "sc")
        current[0] = there

    assert _results(there, "inst-1", "req-1") == {"cold_migrate": "Success"}
    for n in range(3):
        assert _results(there, f"other-{n}", f"req-o{n}") == {"cold_migrate": None}


def test_an_event_that_fails_marks_the_action(cells):
    here, _ = cells
    with here.begin() as s:
        action_obj.start(s, "inst-1", "resize", "req-1", "u", "p")
    with pytest.raises(RuntimeError), action_obj.event(
            here.begin, "inst-1", "req-1", "compute_prep_resize", "h1"):
        raise RuntimeError("no room")
    with here() as s:
        got = action_obj.get_by_request_id(s, "inst-1", "req-1")
    (ev,) = got.events
    assert (got.message, ev.result, ev.details) == ("Error", "Error", "no room")
    assert "RuntimeError" in (ev.traceback or "")


def test_a_request_without_an_action_runs_unrecorded(cells):
    here, _ = cells
    ran = []
    with action_obj.event(here.begin, "inst-1", "req-none", "cold_migrate", "sc"):
        ran.append(True)
    assert ran == [True]


def test_an_action_is_updated_when_its_events_are(cells):
    here, _ = cells
    with here.begin() as s:
        action_obj.start(s, "inst-1", "resize", "req-1", "u", "p")
    with here() as s:
        before = action_obj.get_by_request_id(s, "inst-1", "req-1").updated_at
    with action_obj.event(here.begin, "inst-1", "req-1", "compute_prep_resize", "h1"):
        pass
    with here() as s:
        (listed,) = action_obj.get_all(s, "inst-1")
        shown = action_obj.get_by_request_id(s, "inst-1", "req-1")
    (ev,) = shown.events
    assert before is not None and ev.finish_time is not None
    assert listed.updated_at == shown.updated_at == ev.finish_time > before


def test_events_of_a_moved_server_end_together_and_one_never_started_is_recorded(cells):
    here, there = cells
    with here.begin() as s:
        action_obj.start(s, "inst-1", "migrate", "req-1", "u", "p")
    current = [here]

    def sessions():
        return current[0].begin()

    with action_obj.events(sessions, "inst-1", "req-1", ("conductor_migrate", "cold_migrate"),
                           "sc"):
        with there.begin() as s:  # the copy holds one of the two events only
            action_obj.start(s, "inst-1", "migrate", "req-1", "u", "p")
            action_obj.event_start(s, "inst-1", "req-1", "cold_migrate", "sc")
        current[0] = there
    assert _results(there, "inst-1", "req-1") == {"cold_migrate": "Success",
                                                  "conductor_migrate": "Success"}


def test_events_finished_with_the_last_write_are_not_finished_again(cells):
    here, _ = cells
    with here.begin() as s:
        action_obj.start(s, "inst-1", "resize", "req-1", "u", "p")
    with here.begin() as s:
        recorder = action_obj.start_in(s, here.begin, "inst-1", "req-1", ("compute_x",), "h1")
    with recorder, recorder.finishing(here.begin()) as s:
        action_obj.start(s, "inst-2", "resize", "req-2", "u", "p")  # the step's last write
    assert _results(here, "inst-1", "req-1") == {"compute_x": "Success"}
    with here() as s:
        (ev,) = action_obj.get_by_request_id(s, "inst-1", "req-1").events
        assert ev.finish_time is not None


def test_a_failed_last_write_leaves_the_error_to_the_recorder(cells):
    here, _ = cells
    with here.begin() as s:
        action_obj.start(s, "inst-1", "resize", "req-1", "u", "p")
    with here.begin() as s:
        recorder = action_obj.start_in(s, here.begin, "inst-1", "req-1", ("compute_x",), "h1")
    with pytest.raises(RuntimeError), recorder, recorder.finishing(here.begin()):
        raise RuntimeError("lost")
    assert _results(here, "inst-1", "req-1") == {"compute_x": "Error"}
