"""Which cells a move may land in: _restrict, _required_cells and the alternates' cell."""

from cirrus.context import RequestContext
from cirrus.objects.request_spec import Destination
from cirrus.scheduler import manager
from cirrus.scheduler.batch import Pending
from cirrus.scheduler.weighers import CrossCellWeigher, RAMWeigher, weigh_hosts


def _hosts(make_host):
    return [
        make_host("cell1-host1", cell_uuid="cell1", free_ram_mb=2048),
        make_host("cell1-host2", cell_uuid="cell1", free_ram_mb=1024),
        make_host("cell2-host1", cell_uuid="cell2", free_ram_mb=65536),
        make_host("cell2-host2", cell_uuid="cell2", free_ram_mb=32768),
    ]


def _move(make_spec, *, allowed, host=None, cell="cell1"):
    # As cirrus.api.ops.cross_cell.requested_destination builds it.
    dest = Destination(host=host, cell_uuid=None if allowed and host else cell,
                       allow_cross_cell_move=allowed)
    return make_spec(requested_destination=dest, source_cell_uuid=cell,
                     ignore_hosts=("cell1-host1",))


def _names(hosts):
    return [h.host for h in hosts]


def _pending(spec):
    return Pending(RequestContext(), spec, [spec.instance_uuid], 2)


def test_allowed_move_sees_both_cells(make_host, make_spec):
    spec = _move(make_spec, allowed=True)
    assert _names(manager._restrict(_hosts(make_host), spec)) == [
        "cell1-host2", "cell2-host1", "cell2-host2"]
    assert manager._required_cells([_pending(spec)]) is None


def test_not_allowed_move_stays_in_the_source_cell(make_host, make_spec):
    spec = _move(make_spec, allowed=False)
    assert _names(manager._restrict(_hosts(make_host), spec)) == ["cell1-host2"]
    assert manager._required_cells([_pending(spec)]) == frozenset({"cell1"})


def test_not_allowed_move_without_a_cell_still_stays_in_the_source_cell(make_host, make_spec):
    spec = make_spec(requested_destination=Destination(), source_cell_uuid="cell2")
    assert _names(manager._restrict(_hosts(make_host), spec)) == [
        "cell2-host1", "cell2-host2"]
    assert manager._required_cells([_pending(spec)]) == frozenset({"cell2"})


def test_allowed_move_to_a_host_of_another_cell(make_host, make_spec):
    spec = _move(make_spec, allowed=True, host="cell2-host2")
    assert _names(manager._restrict(_hosts(make_host), spec)) == ["cell2-host2"]
    assert manager._required_cells([_pending(spec)]) is None


def test_not_allowed_move_to_a_host_of_another_cell_finds_nothing(make_host, make_spec):
    spec = _move(make_spec, allowed=False, host="cell2-host2")
    assert manager._restrict(_hosts(make_host), spec) == []


def test_boot_with_a_requested_cell_is_restricted(make_host, make_spec):
    spec = make_spec(requested_destination=Destination(cell_uuid="cell2"))
    assert _names(manager._restrict(_hosts(make_host), spec)) == [
        "cell2-host1", "cell2-host2"]
    assert manager._required_cells([_pending(spec)]) == frozenset({"cell2"})


def test_boot_sees_every_cell(make_host, make_spec):
    spec = make_spec()
    assert len(manager._restrict(_hosts(make_host), spec)) == 4
    assert manager._required_cells([_pending(spec)]) is None


def test_a_batch_reads_every_cell_when_one_request_may_cross(make_spec):
    kept = _pending(_move(make_spec, allowed=False))
    crossing = _pending(_move(make_spec, allowed=True, cell="cell2"))
    assert manager._required_cells([kept, crossing]) is None
    other = _pending(_move(make_spec, allowed=False, cell="cell2"))
    assert manager._required_cells([kept, other]) == frozenset({"cell1", "cell2"})


def test_allowed_move_prefers_the_source_cell_and_alternates_follow_the_choice(
        make_host, make_spec):
    spec = _move(make_spec, allowed=True)
    hosts = manager._restrict(_hosts(make_host), spec)
    weighed = [w.host for w in weigh_hosts([RAMWeigher(1.0), CrossCellWeigher(1000000.0)],
                                           hosts, spec)]
    assert _names(weighed) == ["cell1-host2", "cell2-host1", "cell2-host2"]
    by_rp = {h.uuid: {"allocations": {h.uuid: {"resources": {}}}} for h in hosts}
    # The source cell has one candidate left: the choice comes with no alternates.
    chosen = manager._selections(weighed[0], weighed, by_rp, 2)
    assert [s["service_host"] for s in chosen] == ["cell1-host2"]
    # Chosen in cell2 (say the source host filled up): alternates come from cell2 only.
    chosen = manager._selections(weighed[1], weighed, by_rp, 2)
    assert [s["service_host"] for s in chosen] == ["cell2-host1", "cell2-host2"]
    assert {s["cell_uuid"] for s in chosen} == {"cell2"}


def test_negative_multiplier_sends_an_allowed_move_out_of_its_cell(make_host, make_spec):
    spec = _move(make_spec, allowed=True)
    hosts = manager._restrict(_hosts(make_host), spec)
    weighed = weigh_hosts([RAMWeigher(1.0), CrossCellWeigher(-1000000.0)], hosts, spec)
    assert _names(w.host for w in weighed) == ["cell2-host1", "cell2-host2", "cell1-host2"]
