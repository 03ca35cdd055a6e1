"""CrossCellWeigher: 1 / -1 by the requested cell, only for a move that may cross cells."""

import pytest

from cirrus.conf.scheduler import FILTER_SCHEDULER_OPTS
from cirrus.objects.request_spec import Destination
from cirrus.scheduler.host_state import AggregateInfo
from cirrus.scheduler.weighers import CrossCellWeigher, RAMWeigher, weigh_hosts

DEFAULT = next(
    o.default for o in FILTER_SCHEDULER_OPTS if o.name == "cross_cell_move_weight_multiplier"
)


def _cross_cell_move(make_spec, source="cell1"):
    # What the API sends for an allowed move with no target host.
    return make_spec(source_cell_uuid=source,
                     requested_destination=Destination(cell_uuid=source,
                                                       allow_cross_cell_move=True))


def _hosts(make_host):
    # The other cell's host has far more free RAM, so RAM alone would pick it.
    return [
        make_host("src", cell_uuid="cell1", free_ram_mb=1024),
        make_host("dst", cell_uuid="cell2", free_ram_mb=65536),
    ]


def test_raw_weight_during_a_cross_cell_move(make_host, make_spec):
    spec = _cross_cell_move(make_spec)
    weigher = CrossCellWeigher(1.0)
    assert weigher._weigh_object(make_host(cell_uuid="cell1"), spec) == 1.0
    assert weigher._weigh_object(make_host(cell_uuid="cell2"), spec) == -1.0


@pytest.mark.parametrize("dest", [
    None,  # a boot
    Destination(cell_uuid="cell1"),  # a move kept in its cell
    Destination(host="h2", allow_cross_cell_move=True),  # a move to a named host
    Destination(allow_cross_cell_move=True),
])
def test_raw_weight_is_zero_unless_the_cell_is_a_preference(make_host, make_spec, dest):
    spec = make_spec(requested_destination=dest,
                     source_cell_uuid=None if dest is None else "cell1")
    weigher = CrossCellWeigher(1.0)
    for cell in ("cell1", "cell2"):
        assert weigher._weigh_object(make_host(cell_uuid=cell), spec) == 0.0


def test_multiplier_option_and_its_default():
    assert CrossCellWeigher.multiplier_option == "cross_cell_move_weight_multiplier"
    assert DEFAULT == 1000000.0


def test_default_multiplier_keeps_the_move_in_its_cell(make_host, make_spec):
    weighers = [RAMWeigher(1.0), CrossCellWeigher(DEFAULT)]
    result = weigh_hosts(weighers, _hosts(make_host), _cross_cell_move(make_spec))
    assert [(w.host.host, w.weight) for w in result] == [("src", 1000000.0), ("dst", 1.0)]


def test_negative_multiplier_drains_the_source_cell(make_host, make_spec):
    hosts = [
        make_host("src", cell_uuid="cell1", free_ram_mb=65536),
        make_host("dst", cell_uuid="cell2", free_ram_mb=1024),
    ]
    weighers = [RAMWeigher(1.0), CrossCellWeigher(-1000000.0)]
    result = weigh_hosts(weighers, hosts, _cross_cell_move(make_spec))
    assert [(w.host.host, w.weight) for w in result] == [("dst", 0.0), ("src", -999999.0)]


def test_source_cell_need_not_be_the_first_cell(make_host, make_spec):
    result = weigh_hosts([RAMWeigher(1.0), CrossCellWeigher(DEFAULT)], _hosts(make_host),
                         _cross_cell_move(make_spec, source="cell2"))
    assert [w.host.host for w in result] == ["dst", "src"]


def test_no_effect_when_the_move_may_not_cross_cells(make_host, make_spec):
    spec = make_spec(source_cell_uuid="cell1",
                     requested_destination=Destination(cell_uuid="cell1"))
    weighers = [RAMWeigher(1.0), CrossCellWeigher(DEFAULT)]
    result = weigh_hosts(weighers, _hosts(make_host), spec)
    assert [(w.host.host, w.contributions["CrossCellWeigher"]) for w in result] == [
        ("dst", 0.0),
        ("src", 0.0),
    ]


def test_no_effect_on_a_boot(make_host, make_spec):
    weighers = [RAMWeigher(1.0), CrossCellWeigher(DEFAULT)]
    result = weigh_hosts(weighers, _hosts(make_host), make_spec())
    assert [w.contributions["CrossCellWeigher"] for w in result] == [0.0, 0.0]


def test_all_hosts_in_the_source_cell_weigh_equally(make_host, make_spec):
    hosts = [make_host("b", cell_uuid="cell1"), make_host("a", cell_uuid="cell1")]
    result = weigh_hosts([CrossCellWeigher(DEFAULT)], hosts, _cross_cell_move(make_spec))
    assert [(w.host.host, w.weight) for w in result] == [("a", 0.0), ("b", 0.0)]


def test_aggregate_metadata_overrides_the_multiplier(make_host, make_spec):
    # An aggregate draining cell1 turns the preference around for its hosts only.
    drain = AggregateInfo("drain", {"cross_cell_move_weight_multiplier": "-1000000.0"})
    hosts = [
        make_host("src", cell_uuid="cell1", free_ram_mb=65536, aggregates=(drain,)),
        make_host("dst", cell_uuid="cell2", free_ram_mb=1024),
    ]
    result = weigh_hosts([RAMWeigher(1.0), CrossCellWeigher(DEFAULT)], hosts,
                         _cross_cell_move(make_spec))
    assert [(w.host.host, w.weight) for w in result] == [("dst", 0.0), ("src", -999999.0)]
