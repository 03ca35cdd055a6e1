"""Parsing of image list queries and the image upload state machine."""

import pytest

from cirrus import exception
from cirrus.db.services import models
from cirrus.image import images, queries


def test_defaults():
    query = queries.parse({})
    assert query == queries.ListQuery()
    assert (query.limit, query.sort, query.os_hidden) == (25, (("created_at", "desc"),), False)


def test_in_operator_and_plain_values():
    query = queries.parse({"id": "in:a,b", "name": "cirros", "status": "in:active"})
    assert query.columns == {"id": ("a", "b"), "name": ("cirros",), "status": ("active",)}


def test_repeated_tags_and_extra_properties():
    query = queries.parse({"tag": ["x", "y"], "hw_disk_bus": "scsi"})
    assert query.tags == ("x", "y")
    assert query.properties == {"hw_disk_bus": "scsi"}


def test_booleans_sizes_and_visibility():
    query = queries.parse({"os_hidden": "True", "protected": "false",
                                     "size_min": "5", "visibility": "all"})
    assert (query.os_hidden, query.protected, query.size_min, query.visibility) == (
        True, False, 5, "all")


@pytest.mark.parametrize(("limit", "expected"), [("0", 0), ("10", 10), ("5000", 1000)])
def test_limit_is_capped(limit, expected):
    assert queries.parse({"limit": limit}).limit == expected


@pytest.mark.parametrize(("params", "expected"), [
    ({"sort": "name:asc,size"}, (("name", "asc"), ("size", "desc"))),
    ({"sort_key": ["name", "size"], "sort_dir": ["asc", "desc"]},
     (("name", "asc"), ("size", "desc"))),
    ({"sort_key": ["name", "size"], "sort_dir": "asc"}, (("name", "asc"), ("size", "asc"))),
    ({"sort_key": "name"}, (("name", "desc"),)),
])
def test_sort_forms(params, expected):
    assert queries.parse(params).sort == expected


@pytest.mark.parametrize("params", [
    {"limit": "x"}, {"limit": "-3"}, {"sort": "color:asc"}, {"sort": "name:up"},
    {"sort": "name", "sort_key": "id"}, {"sort_key": ["a", "b", "c"], "sort_dir": ["asc", "asc"]},
    {"visibility": "friends"}, {"os_hidden": "maybe"}, {"size_max": "big"},
    {"created_at": "gt:2020-01-01"}, {"updated_at": "x"},
])
def test_invalid_queries(params):
    with pytest.raises(exception.Invalid):
        queries.parse(params)


@pytest.mark.parametrize(("start", "end"), sorted(images.TRANSITIONS))
def test_allowed_transitions(start, end):
    row = models.Image(id="i", status=start)
    images.set_status(row, end)
    assert row.status == end


@pytest.mark.parametrize(("start", "end"), [
    ("queued", "active"), ("active", "saving"), ("saving", "saving"), ("active", "queued"),
    ("deactivated", "saving"),
])
def test_refused_transitions(start, end):
    row = models.Image(id="i", status=start)
    with pytest.raises(exception.ImageStatusConflict):
        images.set_status(row, end)
    assert row.status == start
