"""Resize / migrate / confirm / revert: schemas per microversion, quota arithmetic, check order."""

import dataclasses
import datetime
import types

import pytest

from cirrus import exception
from cirrus.api.handlers import server_actions
from cirrus.api.microversion import Version
from cirrus.api.ops import move, quotas, tasks
from cirrus.api.schemas import servers as schemas
from cirrus.api.schemas.validation import validate, validator
from cirrus.compute import actions
from cirrus.context import RequestContext
from cirrus.db.engine import EngineRegistry
from cirrus.db.migration import upgrade
from cirrus.objects import instance_action as action_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.states import MigrationStatus as M

TINY = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                  ephemeral_gb=0, swap=0)
SMALL = FlavorSpec(id=2, flavorid="2", name="m1.small", memory_mb=2048, vcpus=1, root_gb=20,
                   ephemeral_gb=0, swap=0)
MEDIUM = FlavorSpec(id=3, flavorid="3", name="m1.medium", memory_mb=4096, vcpus=2,
                    root_gb=40, ephemeral_gb=0, swap=0)
ZERO = FlavorSpec(id=9, flavorid="z", name="zero", memory_mb=512, vcpus=1, root_gb=0,
                  ephemeral_gb=0, swap=0)


def _inst(**overrides):
    values = {"id": 1, "uuid": "u-1", "power_state": 1, "locked": False, "hidden": False,
              "created_at": datetime.datetime(2024, 1, 1), "deleted": 0, "vm_state": "active",
              "task_state": None, "host": "h1", "image_ref": "img",
              "launched_at": datetime.datetime(2024, 1, 1), "flavor": TINY}
    values.update(overrides)
    return Instance(**values)


def _rejects(v, body):
    with pytest.raises(exception.ValidationError):
        validate(v, body)


# -- schemas ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [(2, 1), (2, 25), (2, 55)])
def test_migrate_before_2_56_takes_only_null(version):
    v = server_actions.migrate_validator(Version(*version))
    validate(v, {"migrate": None})
    _rejects(v, {"migrate": {"host": "h2"}})
    _rejects(v, {"migrate": {}})


@pytest.mark.parametrize("version", [(2, 56), (2, 68), (2, 90)])
def test_migrate_from_2_56_takes_a_host(version):
    v = server_actions.migrate_validator(Version(*version))
    for body in ({"migrate": None}, {"migrate": {}}, {"migrate": {"host": None}},
                 {"migrate": {"host": "cell1-host2"}}):
        validate(v, body)
    _rejects(v, {"migrate": {"host": ""}})
    _rejects(v, {"migrate": {"host": "h", "bogus": 1}})
    _rejects(v, {"migrate": {"host": 5}})


def test_migrate_host_of_a_validated_body():
    assert server_actions.migrate_host({"migrate": None}) is None
    assert server_actions.migrate_host({"migrate": {}}) is None
    assert server_actions.migrate_host({"migrate": {"host": None}}) is None
    assert server_actions.migrate_host({"migrate": {"host": "h2"}}) == "h2"


def test_resize_schema():
    v = validator(schemas.RESIZE)
    validate(v, {"resize": {"flavorRef": "2"}})
    validate(v, {"resize": {"flavorRef": 2, "OS-DCF:diskConfig": "AUTO"}})
    _rejects(v, {"resize": {}})
    _rejects(v, {"resize": {"flavorRef": ""}})
    _rejects(v, {"resize": {"flavorRef": "2", "OS-DCF:diskConfig": "auto"}})
    _rejects(v, {"resize": {"flavorRef": "2", "extra": 1}})
    _rejects(v, {"resize": None})


@pytest.mark.parametrize(("schema", "name"), [(schemas.CONFIRM_RESIZE, "confirmResize"),
                                              (schemas.REVERT_RESIZE, "revertResize")])
def test_confirm_and_revert_take_null(schema, name):
    v = validator(schema)
    validate(v, {name: None})
    _rejects(v, {name: {}})


def test_move_actions_are_registered():
    assert {"resize", "migrate", "confirmResize", "revertResize"} <= set(
        server_actions.ACTIONS)


# -- quota arithmetic -----------------------------------------------------------------------


def test_upsize_deltas_count_growth_only():
    assert move.upsize_deltas(SMALL, TINY) == {"ram": 1536}
    assert move.upsize_deltas(MEDIUM, TINY) == {"cores": 1, "ram": 3584}
    assert move.upsize_deltas(TINY, MEDIUM) == {}
    assert move.upsize_deltas(TINY, TINY) == {}
    shrink_ram = dataclasses.replace(MEDIUM, memory_mb=256)
    assert move.upsize_deltas(shrink_ram, TINY) == {"cores": 1}


def test_over_quota_message_is_novas():
    limits = {"instances": 10, "cores": 20, "ram": 512}
    used = {"instances": 1, "cores": 1, "ram": 512}
    error = quotas.over_quota(limits, used, move.upsize_deltas(SMALL, TINY))
    assert error is not None and error.code == 403
    assert error.message == "Quota exceeded for ram: Requested 1536, but already used 512 of " \
                            "512 ram"


def test_over_quota_lists_every_resource_sorted():
    error = quotas.over_quota({"cores": 1, "ram": 512}, {"cores": 1, "ram": 512},
                              {"ram": 3584, "cores": 1})
    assert error is not None
    assert error.message == ("Quota exceeded for cores, ram: Requested 1, 3584, but already "
                             "used 1, 512 of 1, 512 cores, ram")


def test_over_quota_fits_unlimited_and_negative():
    assert quotas.over_quota({"ram": 1024}, {"ram": 512}, {"ram": 512}) is None
    assert quotas.over_quota({"ram": -1}, {"ram": 10**9}, {"ram": 10**9}) is None
    assert quotas.over_quota({"ram": 0}, {"ram": 512}, {"ram": -512}) is None
    assert quotas.over_quota({"ram": 0}, {"ram": 0}, {}) is None


# -- host choice ---------------------------------------------------------------------------


def test_ignore_hosts():
    assert move.ignore_hosts("h1", resize=True, allow_same_host=False) == ("h1",)
    assert move.ignore_hosts("h1", resize=True, allow_same_host=True) == ()
    assert move.ignore_hosts("h1", resize=False, allow_same_host=True) == ("h1",)
    assert move.ignore_hosts(None, resize=False, allow_same_host=False) == ()


# -- check order ---------------------------------------------------------------------------


def _never(host):
    raise AssertionError(f"service of {host} looked up before the state checks")


@pytest.mark.parametrize("vm_state", ["error", "paused", "resized", "building"])
def test_state_is_checked_before_the_host(vm_state):
    with pytest.raises(exception.InstanceInvalidState) as err:
        move.check_movable(_inst(vm_state=vm_state, host=None), "resize", _never)
    assert err.value.code == 409
    assert err.value.message == f"Cannot 'resize' instance u-1 while it is in vm_state {vm_state}"


def test_task_state_and_launch_come_before_the_host():
    with pytest.raises(exception.InstanceInvalidState, match="task_state resize_prep"):
        move.check_movable(_inst(task_state="resize_prep", host=None), "migrate", _never)
    with pytest.raises(exception.InstanceInvalidState, match="launched_at None"):
        move.check_movable(_inst(launched_at=None, host=None), "migrate", _never)


def test_no_host_then_host_down():
    with pytest.raises(exception.InstanceNotReady) as err:
        move.check_movable(_inst(host=None), "resize", _never)
    assert (err.value.code, err.value.message) == (409, "Instance u-1 is not ready")
    with pytest.raises(exception.SourceComputeUnavailable) as down:
        move.check_movable(_inst(vm_state="stopped"), "resize", lambda h: False)
    assert (down.value.code, down.value.message) == (409, "Service is unavailable at this time.")
    move.check_movable(_inst(vm_state="stopped"), "resize", lambda h: h == "h1")


def test_lock_is_for_admins_only():
    member = RequestContext(user_id="u", project_id="p", roles=["member"], is_admin=False)
    admin = RequestContext(user_id="a", project_id="p", roles=["admin"], is_admin=True)
    with pytest.raises(exception.InstanceIsLocked) as err:
        tasks.check_lock(member, _inst(locked=True))
    assert err.value.code == 409
    tasks.check_lock(admin, _inst(locked=True))
    tasks.check_lock(member, _inst())


def test_zero_disk_is_checked_before_same_flavor():
    with pytest.raises(exception.CannotResizeDisk) as err:
        move.check_new_flavor(TINY, ZERO, "z", volume_backed=False)
    assert err.value.message == ("Server disk was unable to be resized because: Resize to zero "
                                 "disk flavor is not allowed.")
    move.check_new_flavor(TINY, ZERO, "z", volume_backed=True)
    move.check_new_flavor(ZERO, dataclasses.replace(ZERO, id=10), "z2", volume_backed=False)


def test_same_and_disabled_flavor():
    with pytest.raises(exception.CannotResizeToSameFlavor) as err:
        move.check_new_flavor(TINY, TINY, "1", volume_backed=False)
    assert (err.value.code, err.value.message) == (400,
                                                   "When resizing, instances must change flavor!")
    disabled = dataclasses.replace(SMALL, disabled=True)
    with pytest.raises(exception.Invalid, match=r"^Flavor 2 could not be found\.$"):
        move.check_new_flavor(TINY, disabled, "2", volume_backed=False)
    # The current flavor being disabled says "same flavor", not "not found".
    with pytest.raises(exception.CannotResizeToSameFlavor):
        move.check_new_flavor(TINY, dataclasses.replace(TINY, disabled=True), "1",
                              volume_backed=False)
    move.check_new_flavor(TINY, SMALL, "2", volume_backed=False)


# -- start_confirm ---------------------------------------------------------------------------


class _Rpc:
    def __init__(self):
        self.calls = []

    def confirm_resize(self, ctx, cell, host, **kwargs):
        self.calls.append((host, kwargs))


@pytest.fixture
def cell_runtime(tmp_path):
    engines = EngineRegistry()
    url = f"sqlite:///{tmp_path / 'cell.db'}"
    upgrade("cell", engines.engine(url))
    cell = CellMapping(id=1, uuid="c-1", name="cell1", transport_url="x",
                       database_connection=url)
    runtime = types.SimpleNamespace(
        conf=types.SimpleNamespace(service_down_time=60),
        cell_session=lambda c: engines.session(c.database_connection),
        cell_reader=lambda c: engines.reader(c.database_connection))
    yield runtime, cell
    engines.dispose()


def _finished(runtime, cell, status=M.FINISHED):
    with runtime.cell_session(cell) as s:
        return migration_obj.create(
            s, instance_uuid="u-1", source_compute="h1", source_node="h1", dest_compute="h2",
            old_instance_type_id=1, new_instance_type_id=2, migration_type="resize",
            user_id="u", project_id="p", status=status)


def _register(runtime, cell, host, up=True):
    with runtime.cell_session(cell) as s:
        svc = service_obj.register(s, host, "cirrus-compute", "compute")
        if not up:
            service_obj.update_status(s, svc.id, forced_down=True)


def _state_of(runtime, cell, mig):
    with runtime.cell_reader(cell) as s:
        return migration_obj.get_by_id(s, mig.id).status, [
            a.action for a in action_obj.get_all(s, "u-1")]


def test_confirm_refused_for_a_down_source_leaves_the_migration(cell_runtime):
    runtime, cell = cell_runtime
    _register(runtime, cell, "h1", up=False)
    mig = _finished(runtime, cell)
    rpc = _Rpc()
    ctx = RequestContext(user_id="u", project_id="p")
    with pytest.raises(exception.SourceComputeUnavailable):
        actions.start_confirm(runtime, rpc, ctx, cell, _inst(vm_state="resized"), mig)
    assert _state_of(runtime, cell, mig) == (M.FINISHED, [])
    assert rpc.calls == []
    with pytest.raises(exception.SourceComputeUnavailable):
        actions.start_confirm(runtime, rpc, ctx, cell, _inst(vm_state="resized"),
                              dataclasses.replace(mig, source_compute="unknown"))


def test_confirm_marks_confirming_records_once_and_asks_the_source(cell_runtime):
    runtime, cell = cell_runtime
    _register(runtime, cell, "h1")
    mig = _finished(runtime, cell)
    rpc = _Rpc()
    ctx = RequestContext(user_id="u", project_id="p")
    actions.start_confirm(runtime, rpc, ctx, cell, _inst(vm_state="resized"), mig, cast=False)
    assert _state_of(runtime, cell, mig) == (M.CONFIRMING, ["confirmResize"])
    assert rpc.calls == [("h1", {"instance_uuid": "u-1", "migration_uuid": mig.uuid,
                                 "cast": False})]
    # A retry with the same request keeps "confirming" and records no second action.
    actions.start_confirm(runtime, rpc, ctx, cell, _inst(vm_state="resized"), mig)
    assert _state_of(runtime, cell, mig) == (M.CONFIRMING, ["confirmResize"])
    assert rpc.calls[-1][1]["cast"] is True


def test_confirm_of_a_reverting_migration_is_a_conflict(cell_runtime):
    runtime, cell = cell_runtime
    _register(runtime, cell, "h1")
    mig = _finished(runtime, cell, M.REVERTING)
    rpc = _Rpc()
    with pytest.raises(exception.InvalidMigrationTransition) as err:
        actions.start_confirm(runtime, rpc, RequestContext(), cell, _inst(), mig)
    assert err.value.code == 409 and rpc.calls == []


def test_compute_up_needs_a_host(cell_runtime):
    runtime, cell = cell_runtime
    _register(runtime, cell, "h1")
    assert actions.compute_up(runtime, cell, "h1")
    assert not actions.compute_up(runtime, cell, "h2")
    assert not actions.compute_up(runtime, cell, None)
    assert not actions.compute_up(runtime, cell, "")

