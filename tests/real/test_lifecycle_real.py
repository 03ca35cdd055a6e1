"""Boot, delete, resize and cold migration with every service a separate process."""

import hashlib
import json
import os
import subprocess
from pathlib import Path

from cirrus.testing.waiters import wait_for
from tests.real.helpers import (
    BIN,
    allocations,
    boot,
    cirros,
    cli,
    delete,
    mapping_cell,
    migrations,
)
from tests.real.helpers import conn as _conn
from tests.real.helpers import wait_status as _wait_status


def test_manage_status_is_ready(real):
    out = real.manage("status")
    assert "FAIL" not in out
    assert "OK    compute hosts: 4 mapped" in out
    assert out.count("OK    cell") >= 4


def test_boot_delete_both_cells(real):
    admin = _conn(real, "admin")
    demo = _conn(real, "demo")
    data = hashlib.sha256(b"cirros").digest() * 4096
    # Named apart from "cirros" (which other tests of the session create), which the CLI
    # below must find once.
    image = admin.image.create_image(name="real-data", data=data, disk_format="qcow2",
                                     container_format="bare", visibility="public")
    assert admin.image.get_image(image.id).checksum == hashlib.md5(data).hexdigest()
    servers = {}
    for cell in ("cell1", "cell2"):
        server = admin.compute.create_server(
            name=f"real-{cell}", flavor_id="1", image_id=image.id, networks="none",
            availability_zone=f"nova:{cell}-host1")
        servers[cell] = admin.compute.wait_for_server(server, wait=120, interval=0.5)
    for cell, server in servers.items():
        assert server.status == "ACTIVE"
        assert server.compute_host == f"{cell}-host1"
        assert mapping_cell(real, server.id) == cell
        allocs = allocations(admin, server.id)
        assert [a["resources"] for a in allocs.values()] == [
            {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}]
    assert {s.id for s in admin.compute.servers(all_projects=True)} >= {
        s.id for s in servers.values()}
    for server in servers.values():
        admin.compute.delete_server(server)
        admin.compute.wait_for_delete(server, wait=120, interval=0.5)
        assert allocations(admin, server.id) == {}
    # The demo member boots with the CLI and sees only its own server.
    cirros(admin)
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(real.clouds_yaml()))
    out = subprocess.run([str(BIN / "openstack"), "--os-cloud", "demo", "server", "create",
                          "--flavor", "m1.tiny", "--image", "cirros", "--nic", "none",
                          "--wait", "-f", "json", "cli-real"], env=env, capture_output=True,
                         text=True, timeout=180, check=False)
    assert out.returncode == 0, out.stderr + real.logs()
    created = json.loads(out.stdout)
    assert created["status"] == "ACTIVE"
    assert [s.id for s in demo.compute.servers()] == [created["id"]]
    subprocess.run([str(BIN / "openstack"), "--os-cloud", "demo", "server", "delete",
                    "--wait", "cli-real"], env=env, check=True, timeout=180,
                   capture_output=True)
    wait_for(lambda: not list(demo.compute.servers()), 30, what="server list empty")
    real.check_alive()


def _osc(real, *args):
    """An admin ``openstack`` command at the microversion that lets migrate name a host."""
    return cli(real, "admin", "--os-compute-api-version", "2.56", *args)


def test_resize_revert_then_migrate_confirm(real):
    """Driven with the openstack CLI; the computes cast to each other over the cell's
    RabbitMQ vhost, as in production."""
    admin = _conn(real, "admin")
    server = boot(admin, "real-move", "cell1-host1")
    _osc(real, "server", "resize", "--flavor", "m1.small", "--wait", server.id)
    resized = _wait_status(admin, server.id, "VERIFY_RESIZE")
    assert resized.compute_host == "cell1-host2"
    assert resized.flavor["original_name"] == "m1.small"
    _osc(real, "server", "resize", "revert", server.id)
    reverted = _wait_status(admin, server.id, "ACTIVE")
    assert reverted.compute_host == "cell1-host1"
    assert reverted.flavor["original_name"] == "m1.tiny"
    _osc(real, "server", "migrate", "--wait", server.id)
    migrated = _wait_status(admin, server.id, "VERIFY_RESIZE")
    assert migrated.compute_host == "cell1-host2"
    _osc(real, "server", "resize", "confirm", server.id)
    confirmed = _wait_status(admin, server.id, "ACTIVE")
    assert confirmed.compute_host == "cell1-host2"
    assert [a["resources"] for a in allocations(admin, server.id).values()] == [
        {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}]
    assert migrations(admin, server.id) == [
        ("migration", "confirmed", "cell1-host1", "cell1-host2"),
        ("resize", "reverted", "cell1-host1", "cell1-host2")]
    delete(admin, server)
    real.check_alive()


def test_cross_cell_migrate_revert_then_confirm(real):
    """Driven with the openstack CLI; the superconductor drives both cells over their own
    vhosts and databases."""
    admin = _conn(real, "admin")
    server = boot(admin, "real-xcell", "cell1-host1")
    _osc(real, "server", "migrate", "--host", "cell2-host1", "--wait", server.id)
    moved = _wait_status(admin, server.id, "VERIFY_RESIZE")
    assert (moved.compute_host, mapping_cell(real, server.id)) == ("cell2-host1", "cell2")
    _osc(real, "server", "resize", "revert", server.id)
    back = _wait_status(admin, server.id, "ACTIVE")
    assert (back.compute_host, mapping_cell(real, server.id)) == ("cell1-host1", "cell1")
    _osc(real, "server", "migrate", "--host", "cell2-host2", "--wait", server.id)
    _wait_status(admin, server.id, "VERIFY_RESIZE")
    _osc(real, "server", "resize", "confirm", server.id)
    confirmed = _wait_status(admin, server.id, "ACTIVE")
    assert (confirmed.compute_host, mapping_cell(real, server.id)) == ("cell2-host2", "cell2")
    assert [a["resources"] for a in allocations(admin, server.id).values()] == [
        {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}]
    assert migrations(admin, server.id) == [
        ("migration", "confirmed", "cell1-host1", "cell2-host2"),
        ("migration", "reverted", "cell1-host1", "cell2-host1")]
    assert not list(admin.image.images(name="real-xcell-resize-temp"))
    delete(admin, server)
    real.check_alive()


def _children(pid):
    """Process ids whose parent is ``pid`` (gunicorn's workers of a master)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def test_api_and_placement_under_gunicorn(real):
    """cirrus-api runs two worker processes; Placement is its own service, in the catalog."""
    for name in ("api", "placement"):
        assert len(_children(real.procs[name][0].pid)) == 2, name
    admin = _conn(real, "admin")
    placement = admin.session.get_endpoint(service_type="placement", interface="public")
    assert placement.rstrip("/") == f"http://127.0.0.1:{real.placement_port}"
    # The API's own Placement mount is gone: Placement lives only at its own URL.
    resp = admin.session.get(f"http://127.0.0.1:{real.port}/placement/", raise_exc=False)
    assert resp.status_code == 404
    versions = admin.session.get(placement, raise_exc=False)
    assert versions.status_code == 200 and versions.json()["versions"][0]["id"] == "v1.0"
    # Requests spread over both workers: each one answers with the same state.
    ids = {frozenset(s.id for s in admin.compute.servers(all_projects=True)) for _ in range(8)}
    assert len(ids) == 1
