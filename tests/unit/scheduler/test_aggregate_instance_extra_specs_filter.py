"""AggregateInstanceExtraSpecsFilter: flavor extra specs against aggregate metadata."""

import pytest

from cirrus.scheduler.filters.aggregate_instance_extra_specs import (
    AggregateInstanceExtraSpecsFilter,
    aggregate_metadata,
)
from cirrus.scheduler.host_state import AggregateInfo

FILTER = AggregateInstanceExtraSpecsFilter()


def _host(make_host, *metadatas):
    aggregates = tuple(AggregateInfo(f"agg{i}", md) for i, md in enumerate(metadatas))
    return make_host(aggregates=aggregates)


def test_no_extra_specs_passes_host_without_aggregates(make_host, make_spec):
    assert FILTER.host_passes(make_host(), make_spec())


def test_specs_of_other_scopes_are_ignored(make_host, make_spec):
    spec = make_spec(extra_specs={"hw:cpu_policy": "dedicated", "capabilities:x": "1"})
    assert FILTER.host_passes(make_host(), spec)


def test_scoped_spec_matches_aggregate_metadata(make_host, make_spec):
    spec = make_spec(extra_specs={"aggregate_instance_extra_specs:disk": "ssd"})
    assert FILTER.host_passes(_host(make_host, {"disk": "ssd"}), spec)
    assert not FILTER.host_passes(_host(make_host, {"disk": "hdd"}), spec)


def test_unscoped_spec_matches_aggregate_metadata(make_host, make_spec):
    spec = make_spec(extra_specs={"disk": "ssd"})
    assert FILTER.host_passes(_host(make_host, {"disk": "ssd"}), spec)
    assert not FILTER.host_passes(_host(make_host, {"disk": "hdd"}), spec)


def test_missing_key_fails(make_host, make_spec):
    spec = make_spec(extra_specs={"disk": "ssd"})
    assert not FILTER.host_passes(make_host(), spec)
    assert not FILTER.host_passes(_host(make_host, {"net": "fast"}), spec)


def test_scope_is_stripped_once_so_the_key_may_contain_colons(make_host, make_spec):
    spec = make_spec(extra_specs={"aggregate_instance_extra_specs:a:b": "1"})
    assert FILTER.host_passes(_host(make_host, {"a:b": "1"}), spec)
    assert not FILTER.host_passes(_host(make_host, {"b": "1"}), spec)


def test_any_aggregate_may_satisfy_a_requirement(make_host, make_spec):
    spec = make_spec(extra_specs={"disk": "ssd"})
    assert FILTER.host_passes(_host(make_host, {"disk": "hdd"}, {"disk": "ssd"}), spec)


def test_every_requirement_must_be_met(make_host, make_spec):
    spec = make_spec(extra_specs={"disk": "ssd", "aggregate_instance_extra_specs:net": "fast"})
    assert FILTER.host_passes(_host(make_host, {"disk": "ssd"}, {"net": "fast"}), spec)
    assert not FILTER.host_passes(_host(make_host, {"disk": "ssd", "net": "slow"}), spec)


def test_comma_separated_metadata_values_are_alternatives(make_host, make_spec):
    host = _host(make_host, {"disk": "hdd, ssd"})
    assert FILTER.host_passes(host, make_spec(extra_specs={"disk": "ssd"}))
    assert not FILTER.host_passes(host, make_spec(extra_specs={"disk": "hdd, ssd"}))


@pytest.mark.parametrize(
    ("req", "expected"),
    [("= 4", True), ("= 16", False), ("<or> 2 <or> 8", True), ("s== 8", True), ("<in> 8", True)],
)
def test_operators(make_host, make_spec, req, expected):
    host = _host(make_host, {"cores": "8"})
    spec = make_spec(extra_specs={"aggregate_instance_extra_specs:cores": req})
    assert FILTER.host_passes(host, spec) is expected


def test_aggregate_metadata_merges_and_splits(make_host):
    host = _host(make_host, {"k": "x,y"}, {"k": " z ", "j": "1"})
    assert aggregate_metadata(host) == {"k": {"x", "y", "z"}, "j": {"1"}}


def test_runs_once_per_request():
    assert AggregateInstanceExtraSpecsFilter.run_filter_once_per_request is True
