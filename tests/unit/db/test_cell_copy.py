"""Copy of one server's rows between two cell databases: complete, flat, and undoable.

Rows are filled from the schema itself (every column gets a non-default value by its
type), so a column added to the cell models is exercised here without editing the test.
"""

import datetime
import itertools
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from cirrus import exception
from cirrus.db.base import CellBase
from cirrus.db.cell import copy as cell_copy
from cirrus.db.engine import make_engine

PLANNED = [spec.name for spec in cell_copy.PLAN]
SIMPLE_ROWS = {  # rows per server of the tables keyed by the server's uuid alone
    "instance_extra": 1, "instance_system_metadata": 2, "instance_metadata": 2,
    "instance_info_caches": 1, "block_device_mapping": 2, "virtual_interfaces": 2,
    "tags": 2, "instance_faults": 2,
}
BASE_TIME = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)
_seq = itertools.count(1)


@dataclass
class Cell:
    engine: sa.Engine
    maker: sessionmaker[Session]
    statements: list[str]


@pytest.fixture
def cells(tmp_path):
    made = []
    for name in ("source", "target"):
        engine = make_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
        CellBase.metadata.create_all(engine)
        cell = Cell(engine, sessionmaker(engine, expire_on_commit=False), [])

        def count(_conn, _cursor, statement, *_args, _cell=cell):
            _cell.statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        made.append(cell)
    yield made
    for cell in made:
        cell.engine.dispose()


def _table(name):
    return CellBase.metadata.tables[name]


def _value(column, n):
    """A value for ``column`` that no default would produce, distinct per ``n``."""
    python_type = column.type.python_type
    if python_type is bool:
        return True
    if python_type is int:
        return 7000 + n
    if python_type is float:
        return n + 0.25
    if python_type is datetime.datetime:
        return BASE_TIME + datetime.timedelta(minutes=n)
    text = f"{column.name}-{n}"
    length = getattr(column.type, "length", None)
    return text[-length:] if length else text


def _fill(table_name, **fixed):
    """A row with every column set: ``fixed`` first, live (deleted=0), the rest by type."""
    n = next(_seq)
    row = {}
    for column in _table(table_name).c:
        if column.name in fixed:
            row[column.name] = fixed[column.name]
        elif column.name == "deleted":
            row[column.name] = 0
        elif column.name == "id":
            row[column.name] = 1000 + n  # far from the ids a fresh database hands out
        else:
            row[column.name] = _value(column, n)
    return row


def _insert(session, table_name, rows):
    session.execute(sa.insert(_table(table_name)), rows)


def make_server(session, uuid, *, actions=2, events=2, migrations=2):
    _insert(session, "instances", [_fill("instances", uuid=uuid, hidden=False)])
    for name, count in SIMPLE_ROWS.items():
        link = "resource_id" if name == "tags" else "instance_uuid"
        _insert(session, name, [_fill(name, **{link: uuid}) for _ in range(count)])
    _insert(session, "migrations",
            [_fill("migrations", instance_uuid=uuid) for _ in range(migrations)])
    action_rows = [_fill("instance_actions", instance_uuid=uuid, request_id=f"req-{uuid}-{i}")
                   for i in range(actions)]
    _insert(session, "instance_actions", action_rows)
    event_rows = [_fill("instance_actions_events", action_id=a["id"], event=f"step-{i}")
                  for a in action_rows for i in range(events)]
    if event_rows:
        _insert(session, "instance_actions_events", event_rows)


def server_rows(session, uuid):
    """Every row of the server per planned table, in key order."""
    rows = {}
    for name in PLANNED:
        table = _table(name)
        if name == "instance_actions_events":
            actions = _table("instance_actions")
            where = table.c.action_id.in_(
                sa.select(actions.c.id).where(actions.c.instance_uuid == uuid))
        else:
            where = table.c["uuid" if name == "instances" else
                            "resource_id" if name == "tags" else "instance_uuid"] == uuid
        stmt = sa.select(table).where(where).order_by(*table.primary_key.columns)
        rows[name] = [dict(r) for r in session.execute(stmt).mappings()]
    return rows


def _request_of_event(rows):
    request_by_action = {a["id"]: a["request_id"] for a in rows["instance_actions"]}
    return [(request_by_action[e["action_id"]], e["event"])
            for e in rows["instance_actions_events"]]


def _copy(cells, uuid, **kwargs):
    source, target = cells
    with source.maker.begin() as src, target.maker.begin() as dst:
        return cell_copy.copy_instance(src, dst, uuid, **kwargs)


def _soft_delete(session, table_name, where):
    table = _table(table_name)
    session.execute(sa.update(table).where(where).values(deleted=table.c.id,
                                                         deleted_at=BASE_TIME))


def test_every_column_of_every_row_is_copied(cells):
    source, target = cells
    with source.maker.begin() as src:
        make_server(src, "inst-a")
        make_server(src, "inst-other")
    report = _copy(cells, "inst-a", instance_overrides={"hidden": True})
    with source.maker() as src, target.maker() as dst:
        before, after = server_rows(src, "inst-a"), server_rows(dst, "inst-a")
        assert server_rows(dst, "inst-other") == {name: [] for name in PLANNED}

    expected_counts = {**SIMPLE_ROWS, "instances": 1, "migrations": 2,
                       "instance_actions": 2, "instance_actions_events": 4}
    assert dict(report.rows) == expected_counts
    assert report.total == sum(expected_counts.values())
    for spec in cell_copy.PLAN:
        assert len(after[spec.name]) == len(before[spec.name]) > 0, spec.name
        for old, new in zip(before[spec.name], after[spec.name], strict=True):
            for column in _table(spec.name).c:
                if column.name in spec.generated:
                    assert new[column.name] != old[column.name], (spec.name, column.name)
                elif column.name not in spec.keys and column.name != "hidden":
                    assert new[column.name] == old[column.name], (spec.name, column.name)
    assert before["instances"][0]["hidden"] is False
    assert after["instances"][0]["hidden"] is True
    assert _request_of_event(after) == _request_of_event(before)


def test_plan_covers_the_schema():
    tables = set(CellBase.metadata.tables)
    assert cell_copy.check_plan() == ()
    assert set(PLANNED) | cell_copy.NOT_COPIED == tables
    assert not set(PLANNED) & cell_copy.NOT_COPIED
    assert set(cell_copy.NOT_COPIED_REASONS) == cell_copy.NOT_COPIED
    assert all(cell_copy.NOT_COPIED_REASONS.values())
    for name, table in CellBase.metadata.tables.items():
        fk_to_instances = any(fk.target_fullname == "instances.uuid"
                              for fk in table.foreign_keys)
        if "instance_uuid" in table.c or fk_to_instances:
            assert name in PLANNED, name


@pytest.mark.parametrize("spec", cell_copy.PLAN, ids=lambda spec: spec.name)
def test_only_declared_keys_are_left_out(spec):
    columns = cell_copy.columns_of(spec.name)
    assert columns == tuple(column.name for column in _table(spec.name).c)
    assert spec.keys <= set(columns)
    assert cell_copy.copied_columns(spec.name) == tuple(c for c in columns
                                                        if c not in spec.keys)


def test_declared_keys():
    assert cell_copy.copied_columns("tags") == ("resource_id", "tag")
    assert "action_id" not in cell_copy.copied_columns("instance_actions_events")
    assert "id" not in cell_copy.copied_columns("instances")
    with pytest.raises(KeyError):
        cell_copy.copied_columns("services")


def _statements_of(cells, action):
    for cell in cells:
        cell.statements.clear()
    action()
    return [len(cell.statements) for cell in cells]


def test_statement_count_does_not_grow_with_history(cells):
    source, target = cells
    with source.maker.begin() as src:
        make_server(src, "small", actions=1, events=1, migrations=1)
        make_server(src, "big", actions=40, events=5, migrations=40)
    small = _statements_of(cells, lambda: _copy(cells, "small"))
    big = _statements_of(cells, lambda: _copy(cells, "big"))
    assert small == big
    # One probe and one SELECT per table, one INSERT per table, one key read-back (each
    # side's BEGIN goes to the driver directly, so no cursor event counts it).
    assert big == [len(PLANNED) + 1, len(PLANNED) + 1]

    def delete(uuid):
        with target.maker.begin() as dst:
            cell_copy.hard_delete_instance(dst, uuid)

    assert _statements_of(cells, lambda: delete("small")) == _statements_of(
        cells, lambda: delete("big"))


def test_tables_without_rows_of_the_server_are_neither_read_nor_deleted(cells):
    source, target = cells
    with source.maker.begin() as src:
        make_server(src, "bare", actions=1, events=1, migrations=1)
        empty = ("instance_actions_events", "instance_actions", "migrations")
        for name in empty:
            src.execute(sa.delete(_table(name)))
    # The probe, then a SELECT per table holding rows; an INSERT per table on the target
    # (BEGIN goes to the driver directly: no cursor event counts it).
    assert _statements_of(cells, lambda: _copy(cells, "bare")) == [
        len(PLANNED) - len(empty) + 1, len(PLANNED) - len(empty)]
    for cell in cells:
        cell.statements.clear()
    with target.maker.begin() as dst:
        assert cell_copy.hard_delete_instance(dst, "bare") > 0
    # The probe, a DELETE per table that held rows.
    assert len(target.statements) == len(PLANNED) - len(empty) + 1
    with target.maker() as dst:
        assert all(not rows for rows in server_rows(dst, "bare").values())


def test_statement_count_of_history_does_not_grow(cells):
    source, target = cells
    with source.maker.begin() as src:
        make_server(src, "small", actions=1, events=1)
        make_server(src, "big", actions=1, events=1)
    _copy(cells, "small")
    _copy(cells, "big")
    with target.maker.begin() as dst:
        _add_history(dst, "small", actions=1, events=1)
        _add_history(dst, "big", actions=40, events=5)

    def back(uuid):
        with target.maker.begin() as dst, source.maker.begin() as src:
            return cell_copy.copy_new_history(dst, src, uuid)

    assert _statements_of(cells, lambda: back("small")) == _statements_of(
        cells, lambda: back("big"))


def test_hard_delete_removes_everything_of_the_server_only(cells):
    source, target = cells
    with source.maker.begin() as src:
        make_server(src, "inst-a")
    with target.maker.begin() as dst:
        make_server(dst, "inst-b")
    _copy(cells, "inst-a", instance_overrides={"hidden": True})
    with target.maker.begin() as dst:
        _soft_delete(dst, "instance_metadata", _table("instance_metadata").c.instance_uuid
                     == "inst-a")
        _soft_delete(dst, "instance_actions", _table("instance_actions").c.instance_uuid
                     == "inst-a")
        other_before = server_rows(dst, "inst-b")
        total = sum(len(rows) for rows in server_rows(dst, "inst-a").values())

    with target.maker.begin() as dst:
        assert cell_copy.hard_delete_instance(dst, "inst-a") == total
    with target.maker() as dst:
        assert server_rows(dst, "inst-a") == {name: [] for name in PLANNED}
        assert server_rows(dst, "inst-b") == other_before
    with target.maker.begin() as dst:
        assert cell_copy.hard_delete_instance(dst, "inst-a") == 0

    report = _copy(cells, "inst-a")
    assert report["instances"] == 1
    with source.maker() as src, target.maker() as dst:
        assert len(server_rows(dst, "inst-a")["migrations"]) == 2
        assert _request_of_event(server_rows(dst, "inst-a")) == _request_of_event(
            server_rows(src, "inst-a"))


def test_deleted_rows_are_left_behind_unless_asked(cells):
    source, target = cells
    meta, actions, events, migrations = (_table(name) for name in (
        "instance_metadata", "instance_actions", "instance_actions_events", "migrations"))
    with source.maker.begin() as src:
        make_server(src, "inst-a")
        rows = server_rows(src, "inst-a")
        first_action, second_action = (a["id"] for a in rows["instance_actions"])
        _soft_delete(src, "instance_metadata", meta.c.id == rows["instance_metadata"][0]["id"])
        _soft_delete(src, "migrations", migrations.c.id == rows["migrations"][0]["id"])
        _soft_delete(src, "instance_actions", actions.c.id == first_action)
        _soft_delete(src, "instance_actions_events", sa.and_(
            events.c.action_id == second_action, events.c.event == "step-0"))

    report = _copy(cells, "inst-a")
    assert (report["instance_metadata"], report["migrations"]) == (1, 1)
    # The events of a deleted action go with it, whatever their own state.
    assert (report["instance_actions"], report["instance_actions_events"]) == (1, 1)
    with target.maker() as dst:
        copied = server_rows(dst, "inst-a")
    assert all(row["deleted"] == 0 for rows in copied.values() for row in rows
               if "deleted" in row)
    assert _request_of_event(copied) == [("req-inst-a-1", "step-1")]

    with target.maker.begin() as dst:
        cell_copy.hard_delete_instance(dst, "inst-a")
    report = _copy(cells, "inst-a", read_deleted=True)
    assert (report["instance_metadata"], report["migrations"]) == (2, 2)
    assert (report["instance_actions"], report["instance_actions_events"]) == (2, 4)


def test_deleted_server_is_not_found(cells):
    source, _target = cells
    with source.maker.begin() as src:
        make_server(src, "inst-a")
        _soft_delete(src, "instances", _table("instances").c.uuid == "inst-a")
    with pytest.raises(exception.InstanceNotFound):
        _copy(cells, "inst-a")
    assert _copy(cells, "inst-a", read_deleted=True)["instances"] == 1


def test_leftover_actions_in_target_are_refused(cells):
    source, target = cells
    with source.maker.begin() as src:
        make_server(src, "inst-a")
    with target.maker.begin() as dst:
        _insert(dst, "instance_actions", [_fill("instance_actions", instance_uuid="inst-a")])
    with pytest.raises(cell_copy.CopyMismatch):
        _copy(cells, "inst-a")
    with target.maker() as dst:  # the failed copy was rolled back with its transaction
        assert server_rows(dst, "inst-a")["instances"] == []


@pytest.mark.parametrize("overrides", [{"id": 5}, {"uuid": "other"}, {"no_such": 1}])
def test_bad_overrides_are_refused(cells, overrides):
    source, _target = cells
    with source.maker.begin() as src:
        make_server(src, "inst-a")
    with pytest.raises(ValueError, match="cannot override"):
        _copy(cells, "inst-a", instance_overrides=overrides)


def _add_history(session, uuid, *, actions=1, events=2):
    """What a server records in the cell it was resized to: new actions and a fault."""
    new = [_fill("instance_actions", instance_uuid=uuid, request_id=f"new-{uuid}-{i}")
           for i in range(actions)]
    _insert(session, "instance_actions", new)
    _insert(session, "instance_actions_events",
            [_fill("instance_actions_events", action_id=a["id"], event=f"late-{i}")
             for a in new for i in range(events)])
    _insert(session, "instance_faults", [_fill("instance_faults", instance_uuid=uuid)])


def test_copy_new_history_brings_back_only_what_is_new(cells):
    source, target = cells
    with source.maker.begin() as src:
        make_server(src, "inst-a")
    _copy(cells, "inst-a", instance_overrides={"hidden": True})
    with target.maker.begin() as dst:
        _add_history(dst, "inst-a", actions=1, events=2)
        shared = server_rows(dst, "inst-a")["instance_actions"][0]
        _insert(dst, "instance_actions_events",
                [_fill("instance_actions_events", action_id=shared["id"], event="finish")])
        moved = server_rows(dst, "inst-a")
    with source.maker() as src:
        original = server_rows(src, "inst-a")

    def back():
        with target.maker.begin() as dst, source.maker.begin() as src:
            return cell_copy.copy_new_history(dst, src, "inst-a")

    report = back()
    assert dict(report.rows) == {"instance_actions": 1, "instance_actions_events": 3,
                                 "instance_faults": 1}
    with source.maker() as src:
        merged = server_rows(src, "inst-a")
    assert sorted(_request_of_event(merged)) == sorted(_request_of_event(moved))
    assert len(merged["instance_actions"]) == len(original["instance_actions"]) + 1
    assert len(merged["instance_faults"]) == len(original["instance_faults"]) + 1
    assert [r["request_id"] for r in merged["instance_actions"]] == [
        r["request_id"] for r in moved["instance_actions"]]
    new_fault = {k: v for k, v in moved["instance_faults"][-1].items() if k != "id"}
    assert {k: v for k, v in merged["instance_faults"][-1].items() if k != "id"} == new_fault
    for name in set(PLANNED) - {"instance_actions", "instance_actions_events",
                                "instance_faults"}:
        assert merged[name] == original[name], name
    assert back().total == 0


def test_copy_new_history_closes_events_left_open_in_the_copy(cells):
    """An event copied while running ends in the other cell; the copy learns its end."""
    source, target = cells
    with source.maker.begin() as src:
        make_server(src, "inst-a", actions=1, events=0)
        action = server_rows(src, "inst-a")["instance_actions"][0]
        _insert(src, "instance_actions_events", [_fill(
            "instance_actions_events", action_id=action["id"], event="conductor_x",
            finish_time=None, result=None)])
    _copy(cells, "inst-a", instance_overrides={"hidden": True})
    with target.maker.begin() as dst:
        (event,) = server_rows(dst, "inst-a")["instance_actions_events"]
        dst.execute(_table("instance_actions_events").update()
                    .where(_table("instance_actions_events").c.id == event["id"])
                    .values(finish_time=event["start_time"], result="Success"))
    with target.maker.begin() as dst, source.maker.begin() as src:
        cell_copy.copy_new_history(dst, src, "inst-a")
    with source.maker() as src:
        (back,) = server_rows(src, "inst-a")["instance_actions_events"]
    assert (back["result"], back["finish_time"]) == ("Success", event["start_time"])
