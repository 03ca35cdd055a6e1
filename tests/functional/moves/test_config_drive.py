"""Personality files and the config drive: built at boot, and the same after every move.

A move builds the guest again on another host; the drive it gets there must still carry
the files, user data, metadata and key the server was booted with (a cross-cell move in
Nova loses the personality files).
"""

import base64
import json
import uuid

import pytest

from tests.functional import helpers
from tests.functional.moves import helpers as mv
from tests.functional.moves.helpers import across

FILES = [{"path": "/etc/motd", "contents": base64.b64encode(b"hello from cirrus\n").decode()},
         {"path": "/root/blob", "contents": base64.b64encode(bytes(range(256))).decode()}]
USER_DATA = base64.b64encode(b"#cloud-config\nruncmd: [true]\n").decode()
# What the guest reads back; the rest of meta_data.json (zone, hostname) follows the host.
KEPT = ("files", "meta", "public_keys", "keys", "uuid", "name")


@pytest.fixture(autouse=True, scope="module")
def cross_cell_allowed(cloud):
    with mv.cross_cell_allowed(cloud):
        yield


@pytest.fixture(scope="module")
def keypair(cloud, member):
    name = f"drive-{uuid.uuid4().hex[:6]}"
    resp = helpers.raw(cloud, member, "POST", "/os-keypairs", version="2.1",
                       json={"keypair": {"name": name}})
    assert resp.status_code == 200, resp.text
    yield resp.json()["keypair"]
    helpers.raw(cloud, member, "DELETE", f"/os-keypairs/{name}", version="2.1")


def _boot(cloud, member, keypair, name, **extra):
    body = {"server": {"name": name, "flavorRef": "1", "networks": "none",
                       "imageRef": member.image.find_image("cirros").id,
                       "personality": FILES, "config_drive": True, "user_data": USER_DATA,
                       "metadata": {"role": "db"}, "key_name": keypair["name"], **extra}}
    return helpers.raw(cloud, member, "POST", "/servers", version="2.56", json=body)


def _booted(cloud, member, keypair, name):
    resp = _boot(cloud, member, keypair, name)
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    helpers.wait_status(member, server_id, "ACTIVE")
    return server_id


def drive_on(cloud, host, server_id):
    """The config drive the guest has on ``host``: path -> bytes."""
    guest = cloud.computes[host].driver.guest(server_id)
    assert guest is not None, f"no guest {server_id} on {host}"
    assert guest.spec.config_drive is not None, "the guest has no config drive"
    return dict(guest.spec.config_drive)


def _kept(drive):
    meta = json.loads(drive["openstack/latest/meta_data.json"])
    contents = {k: v for k, v in drive.items() if k.startswith("openstack/content/")}
    return ({k: meta[k] for k in KEPT}, drive["openstack/latest/user_data"], contents)


def test_boot_builds_the_drive_from_the_request(cloud, member, admin, keypair):
    server_id = _booted(cloud, member, keypair, "drive-boot")
    try:
        host = mv.host_of(admin, server_id)
        drive = drive_on(cloud, host, server_id)
        meta = json.loads(drive["openstack/latest/meta_data.json"])
        assert meta["files"] == [{"path": "/etc/motd", "content_path": "/content/0000"},
                                 {"path": "/root/blob", "content_path": "/content/0001"}]
        assert drive["openstack/content/0000"] == b"hello from cirrus\n"
        assert drive["openstack/content/0001"] == bytes(range(256))
        assert drive["openstack/latest/user_data"] == base64.b64decode(USER_DATA)
        assert meta["meta"] == {"role": "db"}
        assert meta["public_keys"] == {keypair["name"]: keypair["public_key"]}
        assert (meta["uuid"], meta["availability_zone"]) == (
            server_id, admin.compute.get_server(server_id).availability_zone)
        assert mv.show(cloud, member, server_id)["config_drive"] == "True"
    finally:
        mv.delete_and_check(cloud, member, admin, server_id)


def test_same_cell_resize_and_revert_keep_the_drive(cloud, member, admin, keypair,
                                                    notifications):
    server_id = _booted(cloud, member, keypair, "drive-same-cell")
    try:
        source = mv.host_of(admin, server_id)
        before = _kept(drive_on(cloud, source, server_id))
        mv.resize_and_wait(cloud, member, notifications, server_id, "2")
        dest = mv.host_of(admin, server_id)
        assert _kept(drive_on(cloud, dest, server_id)) == before
        mv.revert_and_wait(cloud, member, notifications, server_id)
        assert _kept(drive_on(cloud, source, server_id)) == before
        mv.check(cloud, server_id)
    finally:
        mv.delete_and_check(cloud, member, admin, server_id)


@pytest.mark.parametrize("end", ["confirm", "revert"])
def test_cross_cell_move_keeps_the_personality_files(cloud, member, admin, keypair,
                                                     notifications, end):
    server_id = _booted(cloud, member, keypair, f"drive-xcell-{end}")
    try:
        source = mv.host_of(admin, server_id)
        before = _kept(drive_on(cloud, source, server_id))
        dest = across(source)
        mv.migrate_and_wait(cloud, admin, notifications, server_id, host=dest)
        drive = drive_on(cloud, dest, server_id)
        assert _kept(drive) == before
        # The drive describes the server where it now runs.
        assert json.loads(drive["openstack/latest/meta_data.json"])[
            "availability_zone"] == admin.compute.get_server(server_id).availability_zone
        if end == "confirm":
            mv.confirm_and_wait(cloud, member, notifications, server_id)
            assert _kept(drive_on(cloud, dest, server_id)) == before
        else:
            mv.revert_and_wait(cloud, member, notifications, server_id)
            assert _kept(drive_on(cloud, source, server_id)) == before
        mv.check(cloud, server_id)
    finally:
        mv.delete_and_check(cloud, member, admin, server_id)


def test_a_drive_is_built_only_when_asked_for(cloud, member, admin):
    created = helpers.boot(member, "no-drive", zone="cell1")
    try:
        helpers.wait_status(member, created.id, "ACTIVE")
        guest = cloud.computes[mv.host_of(admin, created.id)].driver.guest(created.id)
        assert guest is not None and guest.spec.config_drive is None
        assert mv.show(cloud, member, created.id)["config_drive"] == ""
    finally:
        mv.delete_and_check(cloud, member, admin, created.id)


def test_personality_that_is_not_base64_is_400(cloud, member, keypair):
    resp = _boot(cloud, member, keypair, "bad",
                 personality=[{"path": "/etc/x", "contents": "not base64!"}])
    assert resp.status_code == 400, resp.text
    message = resp.json()["badRequest"]["message"]
    assert message.startswith("Invalid input for field/attribute contents.")
    assert "is not a 'base64'" in message


def test_personality_is_gone_from_2_57(cloud, member):
    body = {"server": {"name": "late", "flavorRef": "1", "networks": "none",
                       "imageRef": member.image.find_image("cirros").id,
                       "personality": FILES}}
    resp = helpers.raw(cloud, member, "POST", "/servers", version="2.57", json=body)
    assert resp.status_code == 400, resp.text
    assert "personality" in resp.json()["badRequest"]["message"]


@pytest.mark.parametrize(("resource", "limit", "files", "message"), [
    ("injected_files", 1, FILES, "Personality file limit exceeded"),
    ("injected_file_path_bytes", 8, FILES, "Personality file path exceeds maximum 8"),
    ("injected_file_content_bytes", 100, FILES,
     "Personality file content exceeds maximum 100"),
])
def test_personality_over_the_quota_is_403(cloud, member, admin, keypair, resource, limit,
                                           files, message):
    project = member.current_project_id
    url = f"/os-quota-sets/{project}"
    old = helpers.raw(cloud, admin, "GET", url, version="2.1").json()["quota_set"][resource]
    resp = helpers.raw(cloud, admin, "PUT", url, version="2.1",
                       json={"quota_set": {resource: limit}})
    assert resp.status_code == 200, resp.text
    try:
        resp = _boot(cloud, member, keypair, "over", personality=files)
        assert resp.status_code == 403, resp.text
        assert resp.json()["forbidden"]["message"] == message
    finally:
        helpers.raw(cloud, admin, "PUT", url, version="2.1",
                    json={"quota_set": {resource: old}})
