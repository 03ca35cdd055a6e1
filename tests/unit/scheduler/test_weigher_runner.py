"""The weigher registry, BaseWeigher.weight_multiplier, normalize and weigh_hosts."""

import pytest

from cirrus.conf import build_config
from cirrus.conf.scheduler import FILTER_SCHEDULER_OPTS
from cirrus.objects.request_spec import Destination
from cirrus.scheduler.host_state import AggregateInfo
from cirrus.scheduler.weighers import (
    WEIGHERS,
    BaseWeigher,
    CPUWeigher,
    CrossCellWeigher,
    DiskWeigher,
    RAMWeigher,
    WeighedHost,
    load_weighers,
    normalize,
    weigh_hosts,
)

DEFAULTS = {opt.name: opt.default for opt in FILTER_SCHEDULER_OPTS}


class ByName(BaseWeigher):
    """Test weigher: raw weight looked up by host name."""

    multiplier_option = "test_weight_multiplier"

    def __init__(self, multiplier, weights):
        super().__init__(multiplier)
        self.weights = weights

    def _weigh_object(self, host, spec):
        return self.weights[host.host]


# Registry


def test_default_weight_classes_are_registered():
    assert set(DEFAULTS["weight_classes"]) == set(WEIGHERS)


def test_every_multiplier_option_exists():
    for cls in WEIGHERS.values():
        assert isinstance(DEFAULTS[cls.multiplier_option], float)


def test_load_weighers_passes_multipliers_from_conf_values():
    loaded = load_weighers(
        ["CrossCellWeigher", "RAMWeigher", "CPUWeigher", "DiskWeigher"],
        {
            "ram_weight_multiplier": 2,
            "cpu_weight_multiplier": "0.5",
            "disk_weight_multiplier": -1.0,
            "cross_cell_move_weight_multiplier": -5.0,
        },
    )
    assert [type(w) for w in loaded] == [CrossCellWeigher, RAMWeigher, CPUWeigher, DiskWeigher]
    assert [w.multiplier for w in loaded] == [-5.0, 2.0, 0.5, -1.0]
    assert all(isinstance(w.multiplier, float) for w in loaded)


def test_load_weighers_ignores_other_keys_and_strips_names():
    (cross,) = load_weighers([" CrossCellWeigher "], DEFAULTS)
    assert cross.multiplier == 1000000.0


def test_load_weighers_missing_option_is_an_error():
    # Keyed by weigher name instead of option name: fail loudly, do not use defaults.
    with pytest.raises(ValueError, match="RAMWeigher needs 'ram_weight_multiplier'"):
        load_weighers(["RAMWeigher"], {"RAMWeigher": 2.0})


def test_load_weighers_nothing_needs_no_config():
    assert load_weighers([], {}) == []


def test_load_weighers_accepts_the_config_group():
    conf = build_config([])
    conf.set_override("ram_weight_multiplier", 3.0, group="filter_scheduler")
    ram, cross = load_weighers(["RAMWeigher", "CrossCellWeigher"], conf.filter_scheduler)
    assert ram.multiplier == 3.0
    assert cross.multiplier == 1000000.0


def test_load_weighers_unknown_names():
    with pytest.raises(ValueError, match="Unknown scheduler weighers: Nope, IoOpsWeigher;"):
        load_weighers(["RAMWeigher", "Nope", "IoOpsWeigher"], {})


@pytest.mark.parametrize("bad", ["lots", None])
def test_load_weighers_bad_multiplier(bad):
    with pytest.raises(ValueError, match="ram_weight_multiplier must be a number"):
        load_weighers(["RAMWeigher"], {"ram_weight_multiplier": bad})


# BaseWeigher


def test_base_weigher_is_abstract():
    with pytest.raises(TypeError):
        BaseWeigher(1.0)  # type: ignore[abstract]


def test_weight_multiplier_is_the_configured_value(make_host):
    assert RAMWeigher(2.5).weight_multiplier(make_host()) == 2.5


def test_aggregate_metadata_overrides_multiplier(make_host):
    host = make_host(
        aggregates=(
            AggregateInfo("a", {"ram_weight_multiplier": "4"}),
            AggregateInfo("b", {"ram_weight_multiplier": "-1.5"}),
            AggregateInfo("c", {"cpu_weight_multiplier": "-9"}),
        )
    )
    # Several aggregates: the smallest value wins; other weighers' keys are ignored.
    assert RAMWeigher(2.5).weight_multiplier(host) == -1.5
    assert DiskWeigher(2.5).weight_multiplier(host) == 2.5


def test_bad_aggregate_multiplier_is_ignored(make_host):
    host = make_host(
        aggregates=(
            AggregateInfo("a", {"ram_weight_multiplier": "4"}),
            AggregateInfo("b", {"ram_weight_multiplier": "heavy"}),
        )
    )
    assert RAMWeigher(2.5).weight_multiplier(host) == 2.5


# normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], []),
        ([7.0], [0.0]),
        ([3.0, 3.0, 3.0], [0.0, 0.0, 0.0]),
        ([0.0, 5.0, 10.0], [0.0, 0.5, 1.0]),
        ([-10.0, 0.0, 10.0], [0.0, 0.5, 1.0]),
        ([2048.0, 1024.0], [1.0, 0.0]),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


# weigh_hosts


def test_best_first_with_multiplier_times_normalised(make_host, make_spec):
    hosts = [make_host("h1"), make_host("h2"), make_host("h3")]
    weigher = ByName(2.0, {"h1": 10.0, "h2": 30.0, "h3": 20.0})
    result = weigh_hosts([weigher], hosts, make_spec())
    assert [(w.host.host, w.weight) for w in result] == [("h2", 2.0), ("h3", 1.0), ("h1", 0.0)]
    assert result[0] == WeighedHost(hosts[1], 2.0, {"ByName": 2.0})


def test_weights_sum_over_weighers(make_host, make_spec):
    hosts = [make_host("h1"), make_host("h2")]
    first = ByName(1.0, {"h1": 0.0, "h2": 100.0})
    second = ByName(3.0, {"h1": 5.0, "h2": 1.0})
    result = weigh_hosts([first, second], hosts, make_spec())
    assert [(w.host.host, w.weight) for w in result] == [("h1", 3.0), ("h2", 1.0)]


def test_units_do_not_matter_only_multipliers(make_host, make_spec):
    # A weigher in bytes cannot drown one in vCPUs once both are normalised.
    hosts = [make_host("h1"), make_host("h2")]
    huge = ByName(1.0, {"h1": 10_000_000.0, "h2": 0.0})
    small = ByName(1.5, {"h1": 0.0, "h2": 2.0})
    assert weigh_hosts([huge, small], hosts, make_spec())[0].host.host == "h2"


def test_negative_multiplier_reverses_the_order(make_host, make_spec):
    hosts = [make_host("h1"), make_host("h2")]
    weigher = ByName(-1.0, {"h1": 1.0, "h2": 2.0})
    assert [w.host.host for w in weigh_hosts([weigher], hosts, make_spec())] == ["h1", "h2"]


def test_per_host_multiplier_from_aggregates(make_host, make_spec):
    hosts = [
        make_host("h1", free_ram_mb=1000),
        make_host(
            "h2",
            free_ram_mb=2000,
            aggregates=(AggregateInfo("a", {"ram_weight_multiplier": "0.25"}),),
        ),
        make_host("h3", free_ram_mb=1500),
    ]
    result = weigh_hosts([RAMWeigher(1.0)], hosts, make_spec())
    assert [(w.host.host, w.weight) for w in result] == [("h3", 0.5), ("h2", 0.25), ("h1", 0.0)]


def test_ties_are_broken_by_name_whatever_the_input_order(make_host, make_spec):
    hosts = [make_host("c"), make_host("a"), make_host("b")]
    weigher = ByName(1.0, {"a": 1.0, "b": 1.0, "c": 1.0})
    for ordering in (hosts, hosts[::-1], hosts[1:] + hosts[:1]):
        result = weigh_hosts([weigher], ordering, make_spec())
        assert [w.host.host for w in result] == ["a", "b", "c"]
        assert all(w.weight == 0.0 for w in result)


def test_ties_then_by_node_then_uuid(make_host, make_spec):
    hosts = [
        make_host("h", nodename="n2", uuid="u1"),
        make_host("h", nodename="n1", uuid="u2"),
        make_host("h", nodename="n1", uuid="u1"),
    ]
    result = weigh_hosts([], hosts, make_spec())
    assert [(w.host.nodename, w.host.uuid) for w in result] == [
        ("n1", "u1"),
        ("n1", "u2"),
        ("n2", "u1"),
    ]


def test_no_hosts(make_spec):
    assert weigh_hosts([RAMWeigher(1.0)], [], make_spec()) == []


def test_no_weighers_weighs_zero(make_host, make_spec):
    result = weigh_hosts([], iter([make_host("b"), make_host("a")]), make_spec())
    assert [(w.host.host, w.weight, w.contributions) for w in result] == [
        ("a", 0.0, {}),
        ("b", 0.0, {}),
    ]


def test_zero_multiplier_turns_a_weigher_off(make_host, make_spec):
    hosts = [make_host("a"), make_host("b")]
    weigher = ByName(0.0, {"a": 0.0, "b": 10.0})
    result = weigh_hosts([weigher], hosts, make_spec())
    assert [(w.host.host, w.weight) for w in result] == [("a", 0.0), ("b", 0.0)]


def test_default_weighers_together(make_host, make_spec):
    hosts = [
        make_host("h1", cell_uuid="cell1", free_ram_mb=8192, free_disk_mb=100, vcpus_total=8),
        make_host("h2", cell_uuid="cell2", free_ram_mb=1024, free_disk_mb=50, vcpus_total=2),
    ]
    weighers = load_weighers(DEFAULTS["weight_classes"], DEFAULTS)
    # A move that may cross cells: its source cell is a preference, not a restriction.
    spec = make_spec(source_cell_uuid="cell2", requested_destination=Destination(
        cell_uuid="cell2", allow_cross_cell_move=True))
    result = weigh_hosts(weighers, hosts, spec)
    # The emptier host loses to the source cell during a move...
    assert [w.host.host for w in result] == ["h2", "h1"]
    assert result[0].contributions == {
        "RAMWeigher": 0.0,
        "CPUWeigher": 0.0,
        "DiskWeigher": 0.0,
        "CrossCellWeigher": 1000000.0,
        "ServerGroupSoftAffinityWeigher": 0.0,
        "ServerGroupSoftAntiAffinityWeigher": 0.0,
    }
    # ...and wins on a boot.
    assert weigh_hosts(weighers, hosts, make_spec())[0].host.host == "h1"
