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
