"""The config drive's layout, and when a guest gets one."""

import base64
import datetime
import json

import pytest

from cirrus.compute import config_drive
from cirrus.objects.instance import Instance


def _inst(**overrides):
    values = {"id": 1, "uuid": "u-1", "power_state": 1, "locked": False, "hidden": False,
              "created_at": datetime.datetime(2026, 1, 1), "deleted": 0,
              "display_name": "web", "hostname": "web", "availability_zone": "cell2",
              "project_id": "p", "launch_index": 0, "key_name": "k", "key_data": "ssh-rsa A",
              "user_data": base64.b64encode(b"#!/bin/sh\n").decode(),
              "metadata": {"role": "db"}}
    values.update(overrides)
    return Instance(**values)


@pytest.mark.parametrize(("asked", "force", "image_rule", "expected"), [
    ("", False, None, False),
    ("True", False, None, True),
    ("", True, None, True),
    ("", False, "mandatory", True),
    ("", False, "optional", False),
])
def test_a_drive_is_built_when_asked_forced_or_mandatory(asked, force, image_rule, expected):
    sysmeta = {"image_img_config_drive": image_rule} if image_rule else {}
    inst = _inst(config_drive=asked, system_metadata=sysmeta)
    assert config_drive.required_by(inst, force) is expected


def test_the_drive_holds_files_user_data_keys_and_networks():
    vif = {"id": "0123456789abcdef", "address": "fa:16:3e:00:00:01", "type": "ovs",
           "network": {"id": "net-1", "mtu": 1450},
           "fixed_ips": [{"ip_address": "10.0.0.5"}, {"ip_address": "fd00::5"}]}
    drive = config_drive.files_of(config_drive.build(
        _inst(network_info=[vif]), [("/etc/a", b"A"), ("/etc/b", b"\x00B")]))
    assert sorted(drive) == [
        "openstack/content/0000", "openstack/content/0001",
        "openstack/latest/meta_data.json", "openstack/latest/network_data.json",
        "openstack/latest/user_data", "openstack/latest/vendor_data.json"]
    meta = json.loads(drive["openstack/latest/meta_data.json"])
    assert meta["files"] == [{"path": "/etc/a", "content_path": "/content/0000"},
                             {"path": "/etc/b", "content_path": "/content/0001"}]
    assert (drive["openstack/content/0000"], drive["openstack/content/0001"]) == (
        b"A", b"\x00B")
    assert meta["public_keys"] == {"k": "ssh-rsa A"}
    assert (meta["uuid"], meta["availability_zone"], meta["meta"]) == (
        "u-1", "cell2", {"role": "db"})
    assert drive["openstack/latest/user_data"] == b"#!/bin/sh\n"
    net = json.loads(drive["openstack/latest/network_data.json"])
    assert [link["id"] for link in net["links"]] == ["tap0123456789a"]
    assert [(n["type"], n["ip_address"]) for n in net["networks"]] == [
        ("ipv4_dhcp", "10.0.0.5"), ("ipv6_dhcp", "fd00::5")]


def test_no_user_data_no_keys_no_files():
    drive = config_drive.files_of(config_drive.build(
        _inst(user_data=None, key_name=None, key_data=None), []))
    assert "openstack/latest/user_data" not in drive
    meta = json.loads(drive["openstack/latest/meta_data.json"])
    assert (meta["files"], meta["public_keys"], meta["keys"]) == ([], {}, [])
