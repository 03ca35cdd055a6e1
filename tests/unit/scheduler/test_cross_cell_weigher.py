"""CrossCellWeigher: the source cell during a move, 1 / 0, with either sign of multiplier."""

from cirrus.conf.scheduler import FILTER_SCHEDULER_OPTS
from cirrus.scheduler.weighers import CrossCellWeigher, RAMWeigher, weigh_hosts

DEFAULT = next(
    o.default for o in FILTER_SCHEDULER_OPTS if o.name == "cross_cell_move_weight_multiplier"
)


def _hosts(make_host):
    # The other cell's host has far more free RAM, so RAM alone would pick it.
    return [
        make_host("src", cell_uuid="cell1", free_ram_mb=1024),
        make_host("dst", cell_uuid="cell2", free_ram_mb=65536),
    ]


def test_raw_weight_during_a_move(make_host, make_spec):
    spec = make_spec(source_cell_uuid="cell1")
    weigher = CrossCellWeigher(1.0)
    assert weigher._weigh_object(make_host(cell_uuid="cell1"), spec) == 1.0
    assert weigher._weigh_object(make_host(cell_uuid="cell2"), spec) == 0.0


def test_raw_weight_without_a_move_is_zero(make_host, make_spec):
    weigher = CrossCellWeigher(1.0)
    assert weigher._weigh_object(make_host(cell_uuid="cell1"), make_spec()) == 0.0


def test_multiplier_option_and_its_default():
    assert CrossCellWeigher.multiplier_option == "cross_cell_move_weight_multiplier"
    assert DEFAULT == 1000000.0


def test_default_multiplier_keeps_the_move_in_its_cell(make_host, make_spec):
    weighers = [RAMWeigher(1.0), CrossCellWeigher(DEFAULT)]
    result = weigh_hosts(weighers, _hosts(make_host), make_spec(source_cell_uuid="cell1"))
    assert [(w.host.host, w.weight) for w in result] == [("src", 1000000.0), ("dst", 1.0)]


def test_negative_multiplier_drains_the_source_cell(make_host, make_spec):
    hosts = [
        make_host("src", cell_uuid="cell1", free_ram_mb=65536),
        make_host("dst", cell_uuid="cell2", free_ram_mb=1024),
    ]
    weighers = [RAMWeigher(1.0), CrossCellWeigher(-1000000.0)]
    result = weigh_hosts(weighers, hosts, make_spec(source_cell_uuid="cell1"))
    assert [(w.host.host, w.weight) for w in result] == [("dst", 0.0), ("src", -999999.0)]


def test_no_effect_without_a_move(make_host, make_spec):
    weighers = [RAMWeigher(1.0), CrossCellWeigher(1000000.0)]
    result = weigh_hosts(weighers, _hosts(make_host), make_spec())
    assert [(w.host.host, w.contributions["CrossCellWeigher"]) for w in result] == [
        ("dst", 0.0),
        ("src", 0.0),
    ]


def test_all_hosts_in_the_source_cell_weigh_equally(make_host, make_spec):
    hosts = [make_host("b", cell_uuid="cell1"), make_host("a", cell_uuid="cell1")]
    result = weigh_hosts([CrossCellWeigher(1000000.0)], hosts, make_spec(source_cell_uuid="cell1"))
    assert [(w.host.host, w.weight) for w in result] == [("a", 0.0), ("b", 0.0)]
