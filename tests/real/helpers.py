"""What the real-tier tests share: clients, database reads and waits."""

import json
import os
import subprocess
import sys
from pathlib import Path

import openstack
import sqlalchemy as sa
from openstack import config as os_config

from cirrus.testing.waiters import wait_for

BIN = Path(sys.executable).parent


def conn(real, cloud):
    cfg = os_config.OpenStackConfig(config_files=[str(real.clouds_yaml())])
    return openstack.connection.Connection(config=cfg.get_one(cloud))


def query(real, db, sql, **params):
    engine = sa.create_engine(real.db_url(db))
    try:
        with engine.connect() as c:
            return c.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def mapping_cell(real, uuid):
    rows = query(real, "api", "SELECT c.name FROM instance_mappings m JOIN cell_mappings c "
                 "ON c.id = m.cell_id WHERE m.instance_uuid = :u", u=uuid)
    return rows[0][0] if rows else None


def allocations(admin, uuid):
    resp = admin.session.get(f"/allocations/{uuid}", endpoint_filter={
        "service_type": "placement"}, headers={"OpenStack-API-Version": "placement 1.39"})
    return resp.json()["allocations"]


def migrations(admin, server_id):
    resp = admin.session.get(f"/os-migrations?instance_uuid={server_id}", endpoint_filter={
        "service_type": "compute"}, headers={"OpenStack-API-Version": "compute 2.80"})
    assert resp.status_code == 200, resp.text
    return [(m["migration_type"], m["status"], m["source_compute"], m["dest_compute"])
            for m in resp.json()["migrations"]]


def wait_status(admin, server_id, status, timeout=120):
    def _check():
        server = admin.compute.get_server(server_id)
        return server.status == status and not server.task_state

    wait_for(_check, timeout, interval=0.5, what=f"{server_id} {status}")
    return admin.compute.get_server(server_id)


def cirros(admin):
    return next(iter(admin.image.images(name="cirros")), None) or admin.image.create_image(
        name="cirros", data=b"x" * 4096, disk_format="qcow2", container_format="bare",
        visibility="public")


def boot(admin, name, host):
    server = admin.compute.create_server(name=name, flavor_id="1", image_id=cirros(admin).id,
                                         networks="none", availability_zone=f"nova:{host}")
    return admin.compute.wait_for_server(server, wait=120, interval=0.5)


def delete(admin, server):
    admin.compute.delete_server(server)
    admin.compute.wait_for_delete(server, wait=120, interval=0.5)
    assert allocations(admin, server.id) == {}


def cli(real, cloud, *args, check=True):
    """Run ``openstack --os-cloud CLOUD ARGS -f json``; the parsed output, or the result."""
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(real.clouds_yaml()))
    out = subprocess.run([str(BIN / "openstack"), "--os-cloud", cloud, *args], env=env,
                         capture_output=True, text=True, timeout=180, check=False)
    if not check:
        return out
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return json.loads(out.stdout) if "-f" in args and out.stdout.strip() else out.stdout
