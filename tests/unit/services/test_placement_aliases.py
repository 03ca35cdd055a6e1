"""Placement's named table aliases, built once per table and name."""

import sqlalchemy as sa

from cirrus.placement_client import inprocess

_META = sa.MetaData()
_PARENT = sa.Table("parents", _META, sa.Column("id", sa.Integer, primary_key=True))
_CHILD = sa.Table(
    "children", _META, sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parents.id")))


def test_one_alias_per_table_and_name() -> None:
    alias = inprocess._alias_memo(sa.alias)
    first = alias(_CHILD, name="c")
    assert alias(_CHILD, name="c") is first
    assert alias(_CHILD, name="other") is not first
    assert alias(_PARENT, name="c") is not first
    assert first.name == "c" and first.element is _CHILD


def test_anonymous_and_flat_aliases_stay_new() -> None:
    alias = inprocess._alias_memo(sa.alias)
    assert alias(_CHILD) is not alias(_CHILD)
    join = sa.join(_CHILD, _PARENT, _CHILD.c.parent_id == _PARENT.c.id)
    assert alias(join, name="j", flat=True) is not alias(join, name="j", flat=True)


def test_a_shared_alias_renders_as_a_new_one() -> None:
    alias = inprocess._alias_memo(sa.alias)
    shared = alias(_CHILD, name="c")
    alias(_CHILD, name="c")  # a second caller, as a later request would be

    def query(c: sa.Alias) -> str:
        stmt = sa.select(c.c.id).where(c.c.parent_id == 7)
        return str(stmt.compile(compile_kwargs={"literal_binds": True}))

    assert query(shared) == query(sa.alias(_CHILD, name="c"))


def test_placement_modules_get_their_own_shared_alias() -> None:
    from placement.objects import allocation, consumer

    inprocess._share_table_aliases()
    inprocess._share_table_aliases()  # idempotent: modules are patched once
    assert allocation.sa is not sa and consumer.sa is not allocation.sa
    assert allocation.sa.select is sa.select
    table = allocation._ALLOC_TBL
    assert allocation.sa.alias(table, name="a") is allocation.sa.alias(table, name="a")
