"""The openstack CLI, unmodified, against the all-in-one."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli
VENV_BIN = Path(sys.executable).parent


def openstack(cloud_obj, cloud, *args, timeout=120):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(cloud_obj.options.state_dir / "clouds.yaml"))
    cmd = [str(VENV_BIN / "openstack"), "--os-cloud", cloud, *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert proc.returncode == 0, f"{cmd}: {proc.stderr}"
    return proc.stdout


def openstack_json(cloud_obj, cloud, *args):
    return json.loads(openstack(cloud_obj, cloud, *args, "-f", "json"))


def test_server_lifecycle_with_cli(cloud):
    created = openstack_json(cloud, "cirrus", "server", "create", "--flavor", "m1.small",
                             "--image", "cirros", "--nic", "none", "--wait", "cli-vm")
    assert created["status"] == "ACTIVE"
    assert created["flavor"]["original_name"] == "m1.small"
    listed = openstack_json(cloud, "cirrus", "server", "list")
    assert any(s["ID"] == created["id"] and s["Status"] == "ACTIVE" for s in listed)
    shown = openstack_json(cloud, "cirrus", "server", "show", "cli-vm")
    assert shown["id"] == created["id"]
    assert shown["OS-EXT-AZ:availability_zone"] in ("cell1", "cell2")
    openstack(cloud, "cirrus", "server", "delete", "--wait", "cli-vm")
    assert not any(s["ID"] == created["id"]
                   for s in openstack_json(cloud, "cirrus", "server", "list"))


def test_admin_listings_with_cli(cloud):
    flavors = openstack_json(cloud, "cirrus", "flavor", "list")
    assert [f["Name"] for f in flavors] == [
        "m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"]
    hypervisors = openstack_json(cloud, "cirrus-admin", "hypervisor", "list")
    assert sorted(h["Hypervisor Hostname"] for h in hypervisors) == sorted(cloud.computes)
    services = openstack_json(cloud, "cirrus-admin", "compute", "service", "list")
    computes = [s for s in services if s["Binary"] == "cirrus-compute"]
    assert sorted(s["Host"] for s in computes) == sorted(cloud.computes)
    assert all(s["State"] == "up" and s["Status"] == "enabled" for s in computes)
    assert {s["Zone"] for s in computes} == {"cell1", "cell2"}


def test_all_in_one_command(tmp_path):
    """`cirrus all-in-one` starts, writes clouds.yaml, serves the CLI and stops on SIGTERM."""
    proc = subprocess.Popen(
        [str(VENV_BIN / "cirrus"), "all-in-one", "--state-dir", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "export OS_CLIENT_CONFIG_FILE" in line:
                break
        assert (tmp_path / "clouds.yaml").exists(), "".join(lines)
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(tmp_path / "clouds.yaml"))
        out = subprocess.run([str(VENV_BIN / "openstack"), "--os-cloud", "cirrus-admin",
                              "server", "list", "-f", "json"], env=env, capture_output=True,
                             text=True, timeout=60, check=True)
        assert json.loads(out.stdout) == []
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_config_drive_and_user_data_with_cli(cloud, tmp_path):
    # ``--file`` (personality) cannot be tried here: the pinned client hands open file
    # objects to the SDK, which fails to serialize them before any request is sent.
    user_data = tmp_path / "user-data"
    user_data.write_text("#cloud-config\n")
    created = openstack_json(
        cloud, "cirrus", "server", "create", "--flavor", "m1.tiny", "--image", "cirros",
        "--nic", "none", "--config-drive", "True", "--user-data", str(user_data),
        "--property", "role=db", "--wait", "cli-drive")
    try:
        assert created["status"] == "ACTIVE" and created["config_drive"] == "True"
        host = openstack_json(cloud, "cirrus-admin", "server", "show", created["id"])[
            "OS-EXT-SRV-ATTR:host"]
        guest = cloud.computes[host].driver.guest(created["id"])
        drive = dict(guest.spec.config_drive)
        assert drive["openstack/latest/user_data"] == b"#cloud-config\n"
        meta = json.loads(drive["openstack/latest/meta_data.json"])
        assert (meta["uuid"], meta["meta"], meta["files"]) == (
            created["id"], {"role": "db"}, [])
    finally:
        openstack(cloud, "cirrus", "server", "delete", "--wait", "cli-drive")
