"""The scheduler returns a claimed host plus alternates from the same cell."""

import uuid

from cirrus.context import get_admin_context
from cirrus.objects import flavor as flavor_obj
from cirrus.objects.request_spec import Destination, RequestSpec
from cirrus.scheduler.rpcapi import SchedulerAPI


def _spec(cloud, **kwargs):
    with cloud.runtime.api_session() as s:
        flavor = flavor_obj.get_by_flavor_id(s, "1")
    return RequestSpec(instance_uuid=str(uuid.uuid4()), project_id="p", user_id="u",
                       flavor=flavor, **kwargs)


def test_selection_has_alternates_in_the_same_cell(cloud):
    spec = _spec(cloud)
    selections = SchedulerAPI(cloud.runtime).select_destinations(
        get_admin_context(), spec, [spec.instance_uuid])
    try:
        assert len(selections) == 1
        chosen, *alternates = selections[0]
        # max_attempts 3: at most two alternates, and a cell has only one other host.
        assert len(alternates) == 1
        assert {s["cell_uuid"] for s in selections[0]} == {chosen["cell_uuid"]}
        allocs = cloud.runtime.placement.get_allocations(spec.instance_uuid)[0]
        assert list(allocs) == [chosen["compute_node_uuid"]]
    finally:
        cloud.runtime.placement.delete_allocations(spec.instance_uuid)


def test_requested_cell_restricts_hosts(cloud):
    cell2 = next(c for c in cloud.runtime.cells() if c.name == "cell2")
    spec = _spec(cloud, requested_destination=Destination(cell_uuid=cell2.uuid))
    selections = SchedulerAPI(cloud.runtime).select_destinations(
        get_admin_context(), spec, [spec.instance_uuid])
    try:
        assert all(s["service_host"].startswith("cell2-") for s in selections[0])
    finally:
        cloud.runtime.placement.delete_allocations(spec.instance_uuid)


def test_concurrent_boots_never_overfill_a_host(cloud, member, admin):
    """Six servers that fit one per host, booted at once: four land, two find no host."""
    from concurrent import futures

    from cirrus.objects import quota
    from tests.functional import helpers

    flavor = admin.compute.create_flavor(name="one-per-host", ram=30000, vcpus=1, disk=1)
    project = member.current_project_id
    with cloud.runtime.api_session() as s:
        quota.set_limit(s, project, "ram", -1)
    try:
        with futures.ThreadPoolExecutor(6) as pool:
            servers = list(pool.map(
                lambda i: helpers.boot(member, f"fill-{i}", flavor=flavor.id), range(6)))
        final = [helpers.wait_for_any(member, s.id, ("ACTIVE", "ERROR")) for s in servers]
        assert sorted(s.status for s in final) == ["ACTIVE"] * 4 + ["ERROR"] * 2
        hosts = [admin.compute.get_server(s.id).compute_host for s in final
                 if s.status == "ACTIVE"]
        assert sorted(hosts) == sorted(cloud.computes)
        for s in final:
            member.compute.delete_server(s.id)
        for s in final:
            helpers.wait_gone(member, s.id)
    finally:
        with cloud.runtime.api_session() as s:
            quota.set_limit(s, project, "ram", 51200)
        admin.compute.delete_flavor(flavor.id)
