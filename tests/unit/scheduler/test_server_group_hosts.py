"""Where a server group's members are, as the scheduler works it out for each request.

Real SQLite databases (the API database and two cells plus cell0) stand behind the host
manager; Placement is a dict of allocations.
"""

import uuid as uuidlib
from concurrent import futures

import pytest

from cirrus.conf import build_config
from cirrus.db import migration
from cirrus.objects import cell_mapping, compute_node
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_group as ig_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.request_spec import GroupInfo, RequestSpec
from cirrus.runtime import Runtime
from cirrus.scheduler.host_manager import HostManager
from cirrus.scheduler.manager import GroupPlacements

FLAVOR = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                    ephemeral_gb=0, swap=0)
_NODE = {"hypervisor_type": "fake", "hypervisor_version": 1000, "vcpus": 8,
         "memory_mb": 16384, "local_gb": 200}


class FakePlacement:
    """Consumer -> {provider: resources}, as get_allocations answers."""

    def __init__(self) -> None:
        self.allocations: dict[str, dict[str, dict[str, int]]] = {}
        self.asked: list[str] = []

    def get_allocations(self, consumer):
        self.asked.append(consumer)
        return self.allocations.get(consumer, {}), None


class World:
    def __init__(self, tmp_path) -> None:
        conf = build_config(overrides={
            "api_database": {"connection": f"sqlite:///{tmp_path}/api.db"},
            "DEFAULT": {"transport_url": "kombu+memory:///", "service_down_time": 60},
        })
        self.runtime = Runtime(conf)
        self.placement = FakePlacement()
        self.runtime._placement = self.placement
        migration.upgrade("api", self.runtime.engines.engine(self.runtime.api_db_url))
        self.cells = {}
        with self.runtime.api_session() as s:
            self.cells["cell0"] = cell_mapping.create(
                s, "cell0", "none:///", f"sqlite:///{tmp_path}/cell0.db",
                uuid=cell_mapping.CELL0_UUID)
            for name in ("cell1", "cell2"):
                self.cells[name] = cell_mapping.create(
                    s, name, "none:///", f"sqlite:///{tmp_path}/{name}.db")
        for cell in self.cells.values():
            migration.upgrade("cell", self.runtime.engines.engine(cell.database_connection))
        self.nodes = {}
        for cell, host in (("cell1", "h1"), ("cell1", "h2"), ("cell2", "h3")):
            with self.runtime.cell_session(self.cells[cell]) as s:
                self.nodes[host] = compute_node.ensure(s, host, f"{host}.node", _NODE).uuid
        self.pool = futures.ThreadPoolExecutor(4)
        self.hosts = HostManager(self.runtime, self.pool)

    def row(self, cell, uuid, host, *, deleted=False):
        """A server row in ``cell`` (no mapping)."""
        with self.runtime.cell_session(self.cells[cell]) as s:
            instance_obj.create(s, {"uuid": uuid, "project_id": "p", "user_id": "u",
                                    "host": host, "node": host, "vm_state": "active"},
                                FLAVOR)
            if deleted:
                instance_obj.soft_delete(s, uuid)

    def mapping(self, uuid, cell=None, *, queued=False):
        with self.runtime.api_session() as s:
            im_obj.create(s, uuid, "p", "u",
                          cell_id=self.cells[cell].id if cell else None)
            if queued:
                im_obj.mark_deleted(s, uuid)

    def server(self, cell, host, **kwargs):
        uuid = str(uuidlib.uuid4())
        self.row(cell, uuid, host, **kwargs)
        self.mapping(uuid, cell)
        return uuid

    def group(self, policy, members, **rules):
        with self.runtime.api_session() as s:
            group = ig_obj.create(s, name="g", project_id="p", user_id="u", policy=policy,
                                  rules=rules)
            ig_obj.add_members(s, group.uuid, members)
            return ig_obj.get(s, group.uuid)

    def close(self):
        self.pool.shutdown(wait=True)
        self.runtime.close()


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()


def _groups(world, *uuids, pending=()):
    from cirrus.context import get_admin_context

    return world.hosts.server_groups(get_admin_context(), uuids, pending)


def test_members_are_on_the_host_their_cell_row_names(world):
    a = world.server("cell1", "h1")
    b = world.server("cell2", "h3")
    group = world.group("anti-affinity", [a, b], max_server_per_host=2)
    found = _groups(world, group.uuid)[group.uuid]
    assert found == GroupInfo(uuid=group.uuid, policy="anti-affinity", members=(a, b),
                              rules={"max_server_per_host": 2},
                              member_hosts={a: "h1", b: "h3"})


def test_a_member_moving_across_cells_counts_where_its_mapping_points(world):
    moving = world.server("cell1", "h1")
    # The copy the move made in the other cell is not where the server is yet.
    world.row("cell2", moving, "h3")
    group = world.group("anti-affinity", [moving])
    assert _groups(world, group.uuid)[group.uuid].member_hosts == {moving: "h1"}


def test_deleted_and_failed_members_are_on_no_host(world):
    gone = world.server("cell1", "h1", deleted=True)
    queued = str(uuidlib.uuid4())
    world.row("cell1", queued, "h2")
    world.mapping(queued, "cell1", queued=True)
    # A server that failed to schedule lives in cell0, on no host.
    failed = world.server("cell0", None)
    never_mapped = str(uuidlib.uuid4())
    group = world.group("affinity", [gone, queued, failed, never_mapped])
    found = _groups(world, group.uuid)[group.uuid]
    assert found.member_hosts == {}
    assert found.members == (gone, queued, failed, never_mapped)
    assert world.placement.asked == []


def test_a_member_not_in_a_cell_yet_is_where_placement_holds_it(world):
    placed = str(uuidlib.uuid4())
    world.mapping(placed)
    world.placement.allocations[placed] = {world.nodes["h2"]: {"VCPU": 1}}
    scheduling = str(uuidlib.uuid4())
    world.mapping(scheduling)
    group = world.group("anti-affinity", [placed, scheduling])
    found = _groups(world, group.uuid, pending=[scheduling])[group.uuid]
    assert found.member_hosts == {placed: "h2"}
    # The server being scheduled has nothing in Placement worth asking about.
    assert world.placement.asked == [placed]


def test_a_deleted_group_is_absent(world):
    group = world.group("affinity", [])
    with world.runtime.api_session() as s:
        ig_obj.delete(s, group.uuid)
    assert _groups(world, group.uuid, str(uuidlib.uuid4())) == {}


def test_removed_members_are_not_read(world):
    a = world.server("cell1", "h1")
    b = world.server("cell1", "h2")
    group = world.group("anti-affinity", [a, b])
    with world.runtime.api_session() as s:
        ig_obj.remove_member(s, b)
    assert _groups(world, group.uuid)[group.uuid].member_hosts == {a: "h1"}


# -- the batch's view ------------------------------------------------------------------

SELF, OTHER, NEXT = "uuid-self", "uuid-other", "uuid-next"


def _spec(group):
    return RequestSpec(instance_uuid=SELF, project_id="p", user_id="u", flavor=FLAVOR,
                       instance_group=group)


def test_spec_for_replaces_the_stored_group_with_the_current_one():
    stored = GroupInfo(uuid="g", policy="affinity", hosts=("stale",), members=(SELF,))
    current = GroupInfo(uuid="g", policy="affinity", members=(OTHER, SELF),
                        member_hosts={OTHER: "h1", SELF: "h2"})
    spec = GroupPlacements({"g": current}).spec_for(_spec(stored), SELF)
    assert spec.instance_group is not None
    # The server's own host does not bind it: only the others' hosts do.
    assert spec.instance_group.hosts == ("h1",)
    assert spec.instance_group.member_hosts == {OTHER: "h1", SELF: "h2"}
    assert spec.instance_group.members == (OTHER, SELF)


def test_spec_for_a_deleted_group_has_no_group():
    stored = GroupInfo(uuid="g", policy="anti-affinity", members=(SELF,))
    assert GroupPlacements({}).spec_for(_spec(stored), SELF).instance_group is None


def test_spec_without_a_group_is_only_retargeted():
    spec = GroupPlacements({}).spec_for(_spec(None), NEXT)
    assert spec.instance_uuid == NEXT and spec.instance_group is None


def test_placed_servers_count_for_the_next_ones_until_forgotten():
    current = GroupInfo(uuid="g", policy="anti-affinity", members=(SELF,),
                        member_hosts={OTHER: "h9"})
    tracker = GroupPlacements({"g": current})
    first = tracker.spec_for(_spec(current), SELF)
    tracker.place(first, SELF, "h1")
    second = tracker.spec_for(_spec(current), NEXT).instance_group
    assert second is not None
    assert second.member_hosts == {OTHER: "h9", SELF: "h1"}
    assert second.hosts == ("h1", "h9")
    assert second.members == (SELF,)
    tracker.place(tracker.spec_for(_spec(current), NEXT), NEXT, "h2")
    third = tracker.spec_for(_spec(current), "uuid-third").instance_group
    assert third is not None and NEXT in third.members
    tracker.forget([SELF, NEXT])
    assert tracker.spec_for(_spec(current), NEXT).instance_group.member_hosts == {OTHER: "h9"}


def test_a_move_overrides_the_servers_own_host_for_later_servers():
    current = GroupInfo(uuid="g", policy="anti-affinity", members=(SELF, OTHER),
                        member_hosts={SELF: "h1"})
    tracker = GroupPlacements({"g": current})
    tracker.place(tracker.spec_for(_spec(current), SELF), SELF, "h2")
    later = tracker.spec_for(_spec(current), OTHER).instance_group
    assert later is not None and later.member_hosts == {SELF: "h2"}
    tracker.forget([SELF])
    # A failed move leaves the server where it was.
    later = tracker.spec_for(_spec(current), OTHER).instance_group
    assert later is not None and later.member_hosts == {SELF: "h1"}


def test_computed_hosts_are_not_stored():
    group = GroupInfo(uuid="g", policy="affinity", hosts=("h1",), members=(SELF,),
                      member_hosts={SELF: "h1"}, rules={})
    stored = _spec(group).persistent_dict()["instance_group"]
    assert stored["hosts"] == [] and stored["member_hosts"] == {}
    assert RequestSpec.from_dict(_spec(group).to_dict()).instance_group == group


# -- planning a batch ------------------------------------------------------------------


def _planner():
    from cirrus.scheduler import filters as filters_mod
    from cirrus.scheduler.manager import SchedulerManager

    manager = SchedulerManager.__new__(SchedulerManager)
    manager._filters = filters_mod.load_filters(
        ["ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter"])
    manager._weighers = []
    return manager


def _pending(uuids, group):
    from cirrus.context import get_admin_context
    from cirrus.scheduler.batch import Pending

    spec = RequestSpec(instance_uuid=uuids[0], project_id="p", user_id="u", flavor=FLAVOR,
                       instance_group=group)
    return Pending(get_admin_context(), spec, list(uuids), 0)


def _states(make_host, *names):
    return {f"rp-{n}": make_host(n, uuid=f"rp-{n}", vcpus_total=8, free_ram_mb=8192,
                                 free_disk_mb=102400) for n in names}


def test_servers_of_one_request_are_spread_by_anti_affinity(make_host):
    group = GroupInfo(uuid="g", policy="anti-affinity", members=("a", "b"))
    tracker = GroupPlacements({"g": group})
    picks = _planner()._plan(_pending(["a", "b"], group), _states(make_host, "h1", "h2"),
                             {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}, tracker)
    assert sorted(host.host for _, host, _ in picks) == ["h1", "h2"]


def test_a_request_that_cannot_fit_its_group_is_forgotten(make_host):
    from cirrus import exception

    group = GroupInfo(uuid="g", policy="anti-affinity", members=("a", "b", "c"))
    tracker = GroupPlacements({"g": group})
    with pytest.raises(exception.NoValidHost, match="ServerGroupAntiAffinityFilter"):
        _planner()._plan(_pending(["a", "b", "c"], group), _states(make_host, "h1", "h2"),
                         {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}, tracker)
    assert tracker.spec_for(_spec(group), "d").instance_group.member_hosts == {}


def test_later_requests_of_a_batch_follow_affinity(make_host):
    group = GroupInfo(uuid="g", policy="affinity", members=("a", "b"))
    tracker = GroupPlacements({"g": group})
    states = _states(make_host, "h1", "h2", "h3")
    planner = _planner()
    resources = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    (_, first, _), = planner._plan(_pending(["a"], group), states, resources, tracker)
    (_, second, weighed), = planner._plan(_pending(["b"], group), states, resources, tracker)
    assert second.host == first.host
    assert [h.host for h in weighed] == [first.host]
