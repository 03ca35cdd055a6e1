"""Migration records: queries, pagination, and status changes only through the state table."""

import datetime
import itertools
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from cirrus import exception
from cirrus.db.cell import models
from cirrus.db.engine import EngineRegistry
from cirrus.db.migration import upgrade
from cirrus.objects import migration as migration_obj
from cirrus.objects.states import MigrationStatus as M

CONFIRM_PATH = [M.PRE_MIGRATING, M.MIGRATING, M.POST_MIGRATING, M.FINISHED, M.CONFIRMING,
                M.CONFIRMED]
REVERT_PATH = [M.PRE_MIGRATING, M.MIGRATING, M.POST_MIGRATING, M.FINISHED, M.REVERTING,
               M.REVERTED]


@pytest.fixture
def session(tmp_path):
    engines = EngineRegistry()
    url = f"sqlite:///{tmp_path / 'cell.db'}"
    upgrade("cell", engines.engine(url))
    with engines.session(url) as sess:
        yield sess
    engines.dispose()


def _make(session, **overrides):
    values = {
        "instance_uuid": "inst-1", "source_compute": "host1", "source_node": "node1",
        "old_instance_type_id": 1, "new_instance_type_id": 2, "migration_type": "resize",
        "user_id": "user-a", "project_id": "proj-a",
    }
    values.update(overrides)
    return migration_obj.create(session, **values)


def _set_times(session, mig, created, updated=None):
    # Through the table, not raw SQL, so the timestamps are stored in SQLAlchemy's format.
    table = models.Migration.__table__
    session.execute(sa.update(table).where(table.c.id == mig.id).values(
        created_at=created, updated_at=updated))


def _raw_status(session, mig_id, status):
    session.execute(text("UPDATE migrations SET status = :s WHERE id = :id"),
                    {"s": status, "id": mig_id})


def test_create_and_get(session):
    mig = _make(session, dest_compute="host2", dest_node="node2", dest_host="10.0.0.2",
                uuid="11111111-1111-1111-1111-111111111111")
    assert mig.uuid == "11111111-1111-1111-1111-111111111111"
    assert mig.status is M.PRE_MIGRATING
    assert (mig.dest_compute, mig.dest_node, mig.dest_host) == ("host2", "node2", "10.0.0.2")
    assert mig.is_resize
    assert not mig.hidden
    assert not mig.cross_cell_move
    assert mig.deleted == 0
    assert mig.updated_at is None
    assert isinstance(mig.created_at, datetime.datetime)
    assert migration_obj.get_by_id(session, mig.id) == mig
    assert migration_obj.get_by_uuid(session, mig.uuid) == mig


def test_create_defaults_and_options(session):
    mig = _make(session, migration_type="migration", status=M.MIGRATING, hidden=True,
                cross_cell_move=True)
    assert len(mig.uuid) == 36
    assert not mig.is_resize
    assert (mig.status, mig.hidden, mig.cross_cell_move) == (M.MIGRATING, True, True)
    assert mig.dest_compute is None


def test_get_missing_and_deleted(session):
    mig = _make(session)
    session.execute(text("UPDATE migrations SET deleted = id WHERE id = :id"), {"id": mig.id})
    with pytest.raises(exception.MigrationNotFound, match=f"Migration {mig.id} could not"):
        migration_obj.get_by_id(session, mig.id)
    with pytest.raises(exception.MigrationNotFound):
        migration_obj.get_by_uuid(session, mig.uuid)
    assert migration_obj.get_all(session) == []


def test_get_by_instance_and_status_returns_newest(session):
    older = _make(session, status=M.FINISHED)
    newer = _make(session, status=M.FINISHED)
    _make(session, status=M.CONFIRMED)
    _make(session, instance_uuid="inst-2", status=M.FINISHED)
    _set_times(session, older, datetime.datetime(2024, 1, 2))
    _set_times(session, newer, datetime.datetime(2024, 1, 3))
    found = migration_obj.get_by_instance_and_status(session, "inst-1", M.FINISHED)
    assert found.id == newer.id
    with pytest.raises(exception.MigrationNotFoundByStatus) as exc_info:
        migration_obj.get_by_instance_and_status(session, "inst-1", M.REVERTING)
    assert isinstance(exc_info.value, exception.MigrationNotFound)
    assert "inst-1" in str(exc_info.value)


@pytest.fixture
def populated(session):
    made = {
        "a": _make(session),
        "b": _make(session, instance_uuid="inst-2", source_compute="host2", dest_compute="host3",
                   migration_type="migration", status=M.MIGRATING),
        "c": _make(session, instance_uuid="inst-3", source_compute="host3", dest_compute="host1",
                   hidden=True, project_id="proj-b", user_id="user-b"),
    }
    return session, made


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, {"a", "b", "c"}),
    ({"instance_uuid": "inst-2"}, {"b"}),
    ({"status": M.MIGRATING}, {"b"}),
    ({"host": "host1"}, {"a", "c"}),
    ({"host": "host3"}, {"b", "c"}),
    ({"source_compute": "host3"}, {"c"}),
    ({"migration_type": "resize"}, {"a", "c"}),
    ({"hidden": True}, {"c"}),
    ({"hidden": False}, {"a", "b"}),
    ({"project_id": "proj-b"}, {"c"}),
    ({"user_id": "user-a"}, {"a", "b"}),
    ({"user_id": "user-a", "migration_type": "resize"}, {"a"}),
    ({"host": "nowhere"}, set()),
])
def test_get_all_filters(populated, filters, expected):
    session, made = populated
    ids = {mig.id for mig in migration_obj.get_all(session, **filters)}
    assert ids == {made[k].id for k in expected}


def test_get_all_changes_since_and_before(populated):
    session, made = populated
    day = datetime.datetime(2024, 5, 1)
    _set_times(session, made["a"], day)  # never updated: created_at counts
    _set_times(session, made["b"], day, day + datetime.timedelta(days=2))
    _set_times(session, made["c"], day + datetime.timedelta(days=4))

    def ids(**kw):
        return {m.id for m in migration_obj.get_all(session, **kw)}

    since = day + datetime.timedelta(days=1)
    assert ids(changes_since=since) == {made["b"].id, made["c"].id}
    assert ids(changes_before=since) == {made["a"].id}
    assert ids(changes_since=since, changes_before=day + datetime.timedelta(days=3)) == {
        made["b"].id}


def test_get_all_order_limit_and_marker(session):
    base = datetime.datetime(2024, 1, 1)
    migs = [_make(session, instance_uuid=f"inst-{i}") for i in range(5)]
    # Two share a created_at, so id breaks the tie.
    for mig, minutes in zip(migs, [0, 10, 10, 20, 30], strict=True):
        _set_times(session, mig, base + datetime.timedelta(minutes=minutes))
    order = [migs[4].id, migs[3].id, migs[2].id, migs[1].id, migs[0].id]
    assert [m.id for m in migration_obj.get_all(session)] == order

    pages, marker = [], None
    for _ in range(len(migs) + 1):  # bounded, so a marker bug fails instead of looping
        page = migration_obj.get_all(session, limit=2, marker_uuid=marker)
        if not page:
            break
        pages.append([m.id for m in page])
        marker = page[-1].uuid
    assert pages == [order[:2], order[2:4], order[4:]]
    assert [m.id for m in migration_obj.get_all(
        session, marker_uuid=migs[2].uuid)] == [migs[1].id, migs[0].id]


def test_unknown_marker(session):
    _make(session)
    with pytest.raises(exception.MigrationMarkerNotFound,
                       match=r"Marker nope could not be found\.") as exc_info:
        migration_obj.get_all(session, marker_uuid="nope")
    assert isinstance(exc_info.value, exception.NotFound)


@pytest.mark.parametrize("path", [CONFIRM_PATH, REVERT_PATH], ids=["confirm", "revert"])
def test_resize_walks_through_transition(session, path):
    mig = _make(session)
    for old, new in itertools.pairwise(path):
        assert mig.status is old
        mig = migration_obj.transition(session, mig.id, new)
        assert migration_obj.get_by_id(session, mig.id).status is new
    assert mig.status is path[-1]
    assert mig.updated_at is not None


def test_transition_applies_other_changes_in_the_same_update(session):
    mig = _make(session)
    mig = migration_obj.transition(session, mig.id, M.MIGRATING, dest_compute="host2",
                                   dest_node="node2", dest_host="10.0.0.2", disk_total=10)
    assert (mig.status, mig.dest_compute, mig.dest_node, mig.dest_host, mig.disk_total) == (
        M.MIGRATING, "host2", "node2", "10.0.0.2", 10)


@pytest.mark.parametrize(("start", "to"), [
    (M.PRE_MIGRATING, M.FINISHED),
    (M.PRE_MIGRATING, M.PRE_MIGRATING),
    (M.FINISHED, M.CONFIRMED),
    (M.CONFIRMED, M.REVERTING),
    (M.REVERTED, M.FINISHED),
    (M.ERROR, M.MIGRATING),
])
def test_illegal_transitions_are_refused(session, start, to):
    mig = _make(session, status=start)
    message = f"Migration {mig.id} cannot go from {start} to {to}."
    with pytest.raises(exception.InvalidMigrationTransition, match=re.escape(message)) as exc_info:
        migration_obj.transition(session, mig.id, to, dest_compute="host9")
    assert isinstance(exc_info.value, exception.Conflict)
    unchanged = migration_obj.get_by_id(session, mig.id)
    assert (unchanged.status, unchanged.dest_compute) == (start, None)


def test_concurrent_change_loses_the_compare_and_swap(session, monkeypatch):
    mig = _make(session, status=M.FINISHED)
    real_read = migration_obj.get_by_id

    def read_then_race(sess, mig_id):
        read = real_read(sess, mig_id)
        # Another service confirms the migration between our read and our write.
        _raw_status(sess, mig_id, M.CONFIRMING.value)
        return read

    monkeypatch.setattr(migration_obj, "get_by_id", read_then_race)
    with pytest.raises(exception.ConcurrentUpdate, match=f"migration {mig.id}"):
        migration_obj.transition(session, mig.id, M.REVERTING, dest_compute="host9")
    after = migration_obj.get_by_id(session, mig.id)
    assert (after.status, after.dest_compute) == (M.CONFIRMING, None)


def test_transition_of_missing_migration(session):
    with pytest.raises(exception.MigrationNotFound):
        migration_obj.transition(session, 404, M.MIGRATING)


def test_transition_refuses_status_and_unknown_columns(session):
    mig = _make(session)
    with pytest.raises(ValueError, match="transition"):
        migration_obj.transition(session, mig.id, M.MIGRATING, status=M.ERROR)
    with pytest.raises(ValueError, match="uuid"):
        migration_obj.transition(session, mig.id, M.MIGRATING, uuid="other")
    assert migration_obj.get_by_id(session, mig.id).status is M.PRE_MIGRATING


def test_update_changes_other_columns(session):
    mig = _make(session)
    updated = migration_obj.update(session, mig.id, memory_total=100, memory_processed=40,
                                   memory_remaining=60, dest_compute="host2")
    assert (updated.memory_total, updated.memory_processed, updated.memory_remaining) == (
        100, 40, 60)
    assert updated.dest_compute == "host2"
    assert updated.status is M.PRE_MIGRATING
    assert updated.updated_at is not None


def test_update_refuses_status(session):
    mig = _make(session)
    with pytest.raises(ValueError, match="transition"):
        migration_obj.update(session, mig.id, status=M.CONFIRMED)
    with pytest.raises(ValueError, match="deleted"):
        migration_obj.update(session, mig.id, deleted=1)
    assert migration_obj.get_by_id(session, mig.id).status is M.PRE_MIGRATING


def test_update_of_missing_migration(session):
    with pytest.raises(exception.MigrationNotFound):
        migration_obj.update(session, 404, dest_compute="host2")


def test_what_a_transition_returns_is_what_a_read_gives(session):
    mig = _make(session, status=M.PRE_MIGRATING)
    got = migration_obj.transition(session, mig.id, M.MIGRATING, dest_compute="host9",
                                   dest_node="node9")
    assert got == migration_obj.get_by_id(session, mig.id)
    walked = migration_obj.walk_to(session, mig.id, M.FINISHED)
    assert walked == migration_obj.get_by_id(session, mig.id)
    assert walked.status == M.FINISHED


def test_walk_to_stays_inside_the_transition_table(session):
    mig = _make(session, status=M.PRE_MIGRATING)
    assert migration_obj.walk_to(session, mig.uuid, M.POST_MIGRATING).status == \
        M.POST_MIGRATING
    # Already there: nothing written, the migration as it is.
    again = migration_obj.walk_to(session, mig.id, M.POST_MIGRATING)
    assert again == migration_obj.get_by_id(session, mig.id)
    # Backwards is no path of the table: refused, the status kept.
    with pytest.raises(exception.InvalidMigrationTransition):
        migration_obj.walk_to(session, mig.id, M.MIGRATING)
    assert migration_obj.get_by_id(session, mig.id).status == M.POST_MIGRATING
    with pytest.raises(exception.MigrationNotFound):
        migration_obj.walk_to(session, 404, M.FINISHED)
