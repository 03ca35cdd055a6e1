"""The config drive with the local driver: a ``disk.config`` file in the guest's directory.

It holds the files the guest reads (meta_data.json, user_data, the personality files) and
is written at boot, on the destination of every move and on the source at a revert, and
goes with the guest. The scenarios run in the deployment's process (harness.py).
"""

import base64
import json

from tests.functional import helpers
from tests.functional.local_driver.harness import assert_only_on, driver_of
from tests.functional.moves import helpers as mv

FILES = [{"path": "/etc/motd", "contents": base64.b64encode(b"hello from cirrus\n").decode()},
         {"path": "/root/blob", "contents": base64.b64encode(bytes(range(256))).decode()}]
USER_DATA = b"#cloud-config\nruncmd: [true]\n"
META = "openstack/latest/meta_data.json"


def booted(cloud, member, name):
    body = {"server": {"name": name, "flavorRef": "1", "networks": "none",
                       "imageRef": member.image.find_image("cirros").id,
                       "personality": FILES, "config_drive": True,
                       "user_data": base64.b64encode(USER_DATA).decode(),
                       "metadata": {"role": "db"}}}
    resp = helpers.raw(cloud, member, "POST", "/servers", version="2.56", json=body)
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    helpers.wait_status(member, server_id, "ACTIVE", timeout=60)
    return server_id


def assert_drive(cloud, admin, server_id):
    """The drive on the server's host holds what it was booted with, and its zone."""
    drive = driver_of(cloud, mv.host_of(admin, server_id)).read_config_drive(server_id)
    assert drive is not None, "no disk.config"
    meta = json.loads(drive[META])
    assert meta["files"] == [{"path": "/etc/motd", "content_path": "/content/0000"},
                             {"path": "/root/blob", "content_path": "/content/0001"}]
    assert drive["openstack/content/0000"] == b"hello from cirrus\n"
    assert drive["openstack/content/0001"] == bytes(range(256))
    assert drive["openstack/latest/user_data"] == USER_DATA
    assert (meta["uuid"], meta["meta"], meta["availability_zone"]) == (
        server_id, {"role": "db"}, admin.compute.get_server(server_id).availability_zone)


def _scenario_drive_at_boot_and_after_moves(cloud, member, admin, notifications,
                                            monkeypatch):
    server_id = booted(cloud, member, "local-drive")
    try:
        source = mv.host_of(admin, server_id)
        assert_drive(cloud, admin, server_id)
        # Within the cell, then back (revert): written on each host the guest starts on.
        mv.migrate_and_wait(cloud, admin, notifications, server_id,
                            host=mv.other_host(source))
        assert_drive(cloud, admin, server_id)
        mv.revert_and_wait(cloud, member, notifications, server_id)
        assert mv.host_of(admin, server_id) == source
        assert_drive(cloud, admin, server_id)
        # Across cells: the destination's drive names its own zone.
        dest = mv.across(source)
        mv.migrate_and_wait(cloud, admin, notifications, server_id, host=dest)
        assert_drive(cloud, admin, server_id)
        mv.revert_and_wait(cloud, member, notifications, server_id)
        assert_drive(cloud, admin, server_id)
        mv.migrate_and_wait(cloud, admin, notifications, server_id, host=dest)
        mv.confirm_and_wait(cloud, member, notifications, server_id)
        assert mv.host_of(admin, server_id) == dest
        assert_drive(cloud, admin, server_id)
        assert_only_on(cloud, server_id, dest)
        mv.check(cloud, server_id)
    finally:
        mv.delete_and_check(cloud, member, admin, server_id)
    assert not any(m.driver.guest_dir(server_id).exists() for m in cloud.computes.values())


def _scenario_no_drive_without_asking(cloud, member, admin, notifications, monkeypatch):
    created = helpers.boot(member, "local-no-drive")
    try:
        helpers.wait_status(member, created.id, "ACTIVE", timeout=60)
        drv = driver_of(cloud, mv.host_of(admin, created.id))
        assert drv.read_config_drive(created.id) is None
    finally:
        mv.delete_and_check(cloud, member, admin, created.id)


def test_drive_at_boot_and_after_moves(local):
    local("_scenario_drive_at_boot_and_after_moves")


def test_no_drive_without_asking(local):
    local("_scenario_no_drive_without_asking")
