"""The move journal: entries, step records and what recovery reads back."""

import pytest
from sqlalchemy.orm import sessionmaker

from cirrus.db import migration
from cirrus.db.engine import make_engine
from cirrus.objects import move_journal as journal_obj
from cirrus.objects.move_journal import Operation, State


@pytest.fixture
def api(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'api.sqlite'}")
    migration.upgrade("api", engine)
    yield sessionmaker(engine)
    engine.dispose()


def _begin(session, mig="mig-1", operation=Operation.RESIZE, owner="sc1"):
    return journal_obj.begin(
        session, migration_uuid=mig, instance_uuid="inst-1", operation=operation,
        source_cell_uuid="c1", target_cell_uuid="c2", request_id="req-1", user_id="u",
        project_id="p", owner=owner, data={"dest_host": "cell2-host1"})


def test_steps_and_data_are_read_back_as_written(api):
    with api.begin() as s:
        entry = _begin(s)
    steps = [{"name": "TargetDBSetup", "status": "done"},
             {"name": "PrepResizeAtDest", "status": "started"}]
    with api.begin() as s:
        journal_obj.write(s, entry.id, steps=steps, step="PrepResizeAtDest",
                          data={"dest_host": "cell2-host1", "snapshot_id": "img"})
    with api.begin() as s:
        got = journal_obj.get(s, entry.id)
    assert (got.state, got.step, got.data) == (
        State.RUNNING, "PrepResizeAtDest", {"dest_host": "cell2-host1", "snapshot_id": "img"})
    assert got.done("TargetDBSetup") and not got.done("PrepResizeAtDest")
    assert got.started("PrepResizeAtDest") and not got.started("PrepResizeAtSource")


def test_only_running_and_rolling_back_entries_are_unfinished(api):
    with api.begin() as s:
        ids = [_begin(s, mig=f"mig-{n}").id for n in range(4)]
    with api.begin() as s:
        journal_obj.finish(s, ids[0], State.DONE)
        journal_obj.finish(s, ids[1], State.ROLLED_BACK)
        journal_obj.write(s, ids[2], state=State.ROLLING_BACK)
    with api.begin() as s:
        assert [e.id for e in journal_obj.unfinished(s)] == ids[2:]


def test_latest_entry_per_migration_and_operation(api):
    with api.begin() as s:
        resize = _begin(s)
        confirm = _begin(s, operation=Operation.CONFIRM)
        other = _begin(s, mig="mig-2")
    with api.begin() as s:
        latest = journal_obj.latest_for_migrations(s, ["mig-1", "mig-2", "mig-3"])
        assert journal_obj.latest_for_migrations(s, []).get("mig-1") is None
    assert latest.get("mig-1").id == confirm.id
    assert latest.get("mig-1", None, Operation.RESIZE).id == resize.id
    assert latest.get("mig-2").id == other.id
    assert latest.get("mig-3") is None
