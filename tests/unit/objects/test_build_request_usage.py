"""The pending servers a quota check counts, summed in the database on every engine."""

import json

import pytest
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import sessionmaker

from cirrus.db import migration
from cirrus.db.engine import make_engine
from cirrus.objects import build_request as br_obj


@pytest.fixture
def api(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'api'}.sqlite")
    migration.upgrade("api", engine)
    yield sessionmaker(engine)
    engine.dispose()


def _python_usage(blobs):
    """What the check counted when it parsed every build request itself."""
    count = vcpus = ram = 0
    for blob in blobs:
        values = json.loads(blob)
        count += 1
        vcpus += int(values.get("vcpus") or 0)
        ram += int(values.get("memory_mb") or 0)
    return count, vcpus, ram


def test_sums_what_parsing_every_request_sums(api):
    instances = [
        {"uuid": "a", "vcpus": 2, "memory_mb": 2048, "flavor": {"vcpus": 99}},
        {"uuid": "b", "vcpus": 1, "memory_mb": 512, "display_name": '"vcpus": 7'},
        {"uuid": "c"},  # no sizes recorded: counts as a server of none
        {"uuid": "d", "vcpus": None, "memory_mb": 0},
    ]
    with api.begin() as s:
        for values in instances:
            br_obj.create(s, values["uuid"], "p1", values, [], [])
        br_obj.create(s, "e", "p2", {"uuid": "e", "vcpus": 8, "memory_mb": 8192}, [], [])
    with api() as s:
        assert br_obj.usage(s, "p1") == _python_usage(json.dumps(v) for v in instances)
        assert br_obj.usage(s, "p1") == (4, 3, 2560)
        assert br_obj.usage(s, "p2") == (1, 8, 8192)
        assert br_obj.usage(s, "p3") == (0, 0, 0)


@pytest.mark.parametrize(("dialect", "postgres", "extract"), [
    (postgresql.dialect(), True, "CAST(build_requests.instance AS JSON) ->> "),
    (mysql.dialect(), False, "JSON_EXTRACT(build_requests.instance, "),
    (mysql.dialect(is_mariadb=True), False, "JSON_EXTRACT(build_requests.instance, "),
])
def test_each_server_engine_reads_the_text_column_as_json(dialect, postgres, extract):
    compiled = br_obj._PENDING[postgres].compile(dialect=dialect)
    assert str(compiled).count(extract) >= 2
    assert {"vcpus", "memory_mb"} <= set(compiled.params.values())
