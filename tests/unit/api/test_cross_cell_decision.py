"""May a resize / cold migration cross cells? Each link of the chain, then what it changes.

The state is a light fake: a real policy enforcer and real SQLite API and cell databases,
with the network service and the cell listing faked.
"""

import datetime
import logging
import types
from concurrent import futures

import pytest
from sqlalchemy import update

from cirrus import exception
from cirrus.api.ops import cross_cell, move
from cirrus.compute.rpcapi import CROSS_CELL_VERSION
from cirrus.conf import build_config
from cirrus.context import RequestContext
from cirrus.db.cell import models as cell_models
from cirrus.db.engine import EngineRegistry
from cirrus.db.migration import upgrade
from cirrus.objects import cell_mapping
from cirrus.objects import compute_node as node_obj
from cirrus.objects import host_mapping as hm_obj
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CELL0_UUID, CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.request_spec import Destination
from cirrus.policy.enforcer import Enforcer

TINY = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                  ephemeral_gb=0, swap=0)
OLD = service_obj.MIN_COMPUTE_CROSS_CELL_RESIZE - 1
ADMIN = RequestContext(user_id="admin", project_id="admin-p", roles=["admin"], is_admin=True)


def _inst(**overrides):
    values = {"id": 1, "uuid": "u-1", "power_state": 1, "locked": False, "hidden": False,
              "created_at": datetime.datetime(2024, 1, 1), "deleted": 0, "vm_state": "active",
              "task_state": None, "host": "cell1-host1", "image_ref": "img",
              "launched_at": datetime.datetime(2024, 1, 1), "flavor": TINY,
              "user_id": "alice", "project_id": "p1"}
    values.update(overrides)
    return Instance(**values)


class _Network:
    def __init__(self, extensions=("binding", "binding-extended")):
        self.extensions = set(extensions)
        self.asked = 0

    def has_extension(self, alias):
        self.asked += 1
        if isinstance(self.extensions, Exception):
            raise self.extensions
        return alias in self.extensions


class _Runtime:
    """The parts of cirrus.runtime.Runtime the decision and the target host check use."""

    def __init__(self, conf, engines, api_url, cells):
        self.conf = conf
        self.network = _Network()
        self._engines = engines
        self._api_url = api_url
        self._cells = cells

    def cells(self, *, refresh=False):
        return list(self._cells)

    def cell_by_id(self, cell_id):
        for cell in self._cells:
            if cell.id == cell_id:
                return cell
        raise exception.CellMappingNotFound(uuid=str(cell_id))

    def api_reader(self):
        return self._engines.reader(self._api_url)

    def api_session(self):
        return self._engines.session(self._api_url)

    def cell_reader(self, cell):
        return self._engines.reader(cell.database_connection)

    def cell_session(self, cell):
        return self._engines.session(cell.database_connection)


def _build(tmp_path, policy_file=None):
    argv = []
    if policy_file is not None:
        # Through a config file: oslo_policy.opts.set_defaults would change the option's
        # default for every later test of the process.
        conf_file = tmp_path / "cirrus.conf"
        conf_file.write_text(f"[oslo_policy]\npolicy_file = {policy_file}\n")
        argv = [f"--config-file={conf_file}"]
    conf = build_config(argv)
    engines = EngineRegistry()
    api_url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade("api", engines.engine(api_url))
    cells = []
    for uuid, name in [(CELL0_UUID, "cell0"), ("c-1", "cell1"), ("c-2", "cell2")]:
        url = f"sqlite:///{tmp_path / name}.db"
        upgrade("cell", engines.engine(url))
        with engines.session(api_url) as s:
            cells.append(cell_mapping.create(s, name, "x", url, uuid=uuid))
    runtime = _Runtime(conf, engines, api_url, cells)
    pool = futures.ThreadPoolExecutor(2)
    state = types.SimpleNamespace(runtime=runtime, policy=Enforcer(conf), pool=pool)
    for cell in cells[1:]:
        for n in (1, 2):
            _add_compute(state, cell, f"{cell.name}-host{n}")
    return state, engines, pool


def _add_compute(state, cell, host):
    with state.runtime.cell_session(cell) as s:
        service_obj.register(s, host, service_obj.COMPUTE_BINARY, "compute")
        node_obj.ensure(s, host, host, {"hypervisor_type": "fake", "vcpus": 4,
                                        "memory_mb": 8192, "local_gb": 40})
    with state.runtime.api_session() as s:
        hm_obj.ensure(s, host, cell.id)


@pytest.fixture
def make_state(tmp_path):
    built = []

    def make(policy="cross-cell: '@'"):
        where = tmp_path / f"state{len(built)}"
        where.mkdir()
        path = None
        if policy is not None:
            path = where / "policy.yaml"
            path.write_text(policy.replace("cross-cell", '"compute:servers:resize:cross_cell"')
                            + "\n")
        state, engines, pool = _build(where, path)
        built.append((engines, pool))
        return state

    yield make
    for engines, pool in built:
        pool.shutdown()
        engines.dispose()


def _cell(state, name):
    return next(c for c in state.runtime.cells() if c.name == name)


def _set_version(state, cell_name, host, version):
    with state.runtime.cell_session(_cell(state, cell_name)) as s:
        s.execute(update(cell_models.Service).where(cell_models.Service.host == host)
                  .values(version=version))


# -- the links, in order ---------------------------------------------------------------------


def test_all_good_allows(make_state):
    state = make_state()
    assert cross_cell.allow_cross_cell(state, ADMIN, _inst())


def test_policy_is_nobody_by_default(make_state):
    state = make_state(policy=None)
    assert not cross_cell.allow_cross_cell(state, ADMIN, _inst())
    # Nothing else is asked once the policy says no.
    assert state.runtime.network.asked == 0


def test_policy_denied_is_false_not_an_error(make_state):
    state = make_state(policy="cross-cell: 'role:mover'")
    assert not cross_cell.allow_cross_cell(state, ADMIN, _inst())
    mover = RequestContext(user_id="bob", project_id="p2", roles=["mover"])
    assert cross_cell.allow_cross_cell(state, mover, _inst())


def test_policy_target_is_the_servers_owner(make_state):
    state = make_state(policy="cross-cell: 'project_id:%(project_id)s'")
    same = RequestContext(user_id="bob", project_id="p1", roles=["member"])
    other = RequestContext(user_id="bob", project_id="p2", roles=["member"])
    assert cross_cell.policy_allows(state, same, _inst())
    assert not cross_cell.policy_allows(state, other, _inst())
    state = make_state(policy="cross-cell: 'user_id:%(user_id)s'")
    alice = RequestContext(user_id="alice", project_id="p9", roles=["member"])
    assert cross_cell.policy_allows(state, alice, _inst())


@pytest.mark.parametrize("cell_name", ["cell1", "cell2"])
def test_an_old_compute_in_any_cell_says_no(make_state, caplog, cell_name):
    state = make_state()
    _set_version(state, cell_name, f"{cell_name}-host2", OLD)
    with caplog.at_level(logging.INFO, logger=cross_cell.__name__):
        assert not cross_cell.allow_cross_cell(state, ADMIN, _inst())
    assert cross_cell.min_compute_version(state, ADMIN) == OLD
    assert "minimum compute service version across all cells" in caplog.text
    assert state.runtime.network.asked == 0


def test_deleted_and_other_services_do_not_count(make_state):
    state = make_state()
    cell1 = _cell(state, "cell1")
    with state.runtime.cell_session(cell1) as s:
        old = service_obj.register(s, "gone", service_obj.COMPUTE_BINARY, "compute")
        conductor = service_obj.register(s, "cond", "cirrus-conductor", "conductor")
        s.execute(update(cell_models.Service).where(cell_models.Service.id == old.id)
                  .values(version=OLD, deleted=old.id))
        s.execute(update(cell_models.Service).where(cell_models.Service.id == conductor.id)
                  .values(version=OLD))
    assert cross_cell.computes_new_enough(state, ADMIN)


def test_cell0_is_not_asked(make_state):
    state = make_state()
    with state.runtime.cell_session(_cell(state, "cell0")) as s:
        svc = service_obj.register(s, "stray", service_obj.COMPUTE_BINARY, "compute")
        s.execute(update(cell_models.Service).where(cell_models.Service.id == svc.id)
                  .values(version=OLD))
    assert cross_cell.computes_new_enough(state, ADMIN)


def test_no_compute_anywhere_says_no(make_state):
    state = make_state()
    for name in ("cell1", "cell2"):
        with state.runtime.cell_session(_cell(state, name)) as s:
            s.execute(update(cell_models.Service).values(deleted=cell_models.Service.id))
    assert cross_cell.min_compute_version(state, ADMIN) == 0
    assert not cross_cell.computes_new_enough(state, ADMIN)


def test_a_cell_that_does_not_answer_says_no(make_state):
    state = make_state()
    broken = CellMapping(id=9, uuid="c-9", name="cell9", transport_url="x",
                         database_connection="sqlite:////nonexistent/dir/cell9.db")
    state.runtime._cells.append(broken)
    assert cross_cell.min_compute_version(state, ADMIN) is None
    assert not cross_cell.allow_cross_cell(state, ADMIN, _inst())


@pytest.mark.parametrize(("cap", "allowed"), [
    (None, True), ("", True), (CROSS_CELL_VERSION, True), ("6.3", True), ("6.10", True),
    ("6.2.1", True), ("6.1", False), ("6.0", False), ("5.99", False), ("7.0", False),
    ("not-a-version", False),
])
def test_rpc_cap(cap, allowed):
    assert cross_cell.rpc_cap_allows(cap) is allowed


def test_pinned_compute_rpc_says_no(make_state, caplog):
    state = make_state()
    state.runtime.conf.set_override("compute", "6.1", group="upgrade_levels")
    with caplog.at_level(logging.INFO, logger=cross_cell.__name__):
        assert not cross_cell.allow_cross_cell(state, ADMIN, _inst())
    assert "[upgrade_levels] compute = 6.1" in caplog.text
    assert state.runtime.network.asked == 0
    state.runtime.conf.set_override("compute", "6.2", group="upgrade_levels")
    assert cross_cell.allow_cross_cell(state, ADMIN, _inst())


def test_no_binding_extended_says_no(make_state, caplog):
    state = make_state()
    state.runtime.network = _Network(extensions=("binding",))
    with caplog.at_level(logging.INFO, logger=cross_cell.__name__):
        assert not cross_cell.allow_cross_cell(state, ADMIN, _inst())
    assert "binding-extended" in caplog.text


def test_a_network_service_that_fails_says_no(make_state):
    state = make_state()
    state.runtime.network.extensions = exception.ServiceUnavailable(reason="down")
    assert not cross_cell.allow_cross_cell(state, ADMIN, _inst())


def test_nothing_is_cached(make_state):
    state = make_state()
    assert cross_cell.allow_cross_cell(state, ADMIN, _inst())
    _set_version(state, "cell2", "cell2-host1", OLD)
    assert not cross_cell.allow_cross_cell(state, ADMIN, _inst())
    _set_version(state, "cell2", "cell2-host1", service_obj.SERVICE_VERSION)
    assert cross_cell.allow_cross_cell(state, ADMIN, _inst())


# -- what the decision changes -----------------------------------------------------------------


def test_requested_destination():
    assert cross_cell.requested_destination("c-1", None, True) == Destination(
        cell_uuid="c-1", allow_cross_cell_move=True)
    assert cross_cell.requested_destination("c-1", "h2", True) == Destination(
        host="h2", allow_cross_cell_move=True)
    assert cross_cell.requested_destination("c-1", None, False) == Destination(
        cell_uuid="c-1")
    assert cross_cell.requested_destination("c-1", "h2", False) == Destination(
        host="h2", cell_uuid="c-1")


@pytest.mark.parametrize(("host", "allowed", "dest"), [
    (None, True, Destination(cell_uuid="c-1", allow_cross_cell_move=True)),
    ("cell2-host1", True, Destination(host="cell2-host1", allow_cross_cell_move=True)),
    (None, False, Destination(cell_uuid="c-1")),
])
def test_move_spec_carries_the_decision(make_state, host, allowed, dest):
    state = make_state()
    spec = move._move_spec(state, _cell(state, "cell1"), _inst(), TINY, ("cell1-host1",),
                           host, allowed)
    assert spec.requested_destination == dest
    assert spec.source_cell_uuid == "c-1"
    assert "requested_destination" not in spec.persistent_dict()


def _check(state, host, cross):
    move._check_target_host(state, _cell(state, "cell1"), _inst(), host, cross_cell=cross)


def test_target_host_in_the_own_cell_either_way(make_state):
    state = make_state()
    _check(state, "cell1-host2", cross=False)
    _check(state, "cell1-host2", cross=True)


def test_target_host_of_another_cell_needs_cross_cell(make_state):
    state = make_state()
    _check(state, "cell2-host1", cross=True)
    with pytest.raises(exception.Invalid) as err:
        _check(state, "cell2-host1", cross=False)
    assert (err.value.code, err.value.message) == (
        400, "Compute host cell2-host1 could not be found.")


@pytest.mark.parametrize("cross", [True, False])
def test_unknown_target_host(make_state, cross):
    state = make_state()
    with pytest.raises(exception.Invalid, match=r"^Compute host nowhere could not be found\.$"):
        _check(state, "nowhere", cross=cross)


def test_mapped_target_host_without_a_compute_node(make_state):
    state = make_state()
    with state.runtime.api_session() as s:
        hm_obj.ensure(s, "cell2-ghost", _cell(state, "cell2").id)
    with pytest.raises(exception.Invalid, match="Compute host cell2-ghost could not be found"):
        _check(state, "cell2-ghost", cross=True)


@pytest.mark.parametrize("cross", [True, False])
def test_target_host_is_the_own_host(make_state, cross):
    state = make_state()
    with pytest.raises(exception.CannotMigrateToSameHost):
        _check(state, "cell1-host1", cross=cross)
