"""Root disks made from qcow2 images with the local driver, through qemu-img.

The images are made in the test with ``qemu-img`` from a raw file holding a known
pattern; the server's root disk must be that raw file, grown to the flavor, and keep its
bytes across a cross-cell move. The scenarios run in the deployment's process
(harness.py).
"""

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from cirrus.compute.drivers import local_disks as disks
from cirrus.compute.drivers.local import GiB, MiB
from tests.functional import helpers
from tests.functional.local_driver.harness import PATTERN, data_map, driver_of
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv


@pytest.fixture(autouse=True)
def _needs_qemu_img():
    # A missing tool fails these tests rather than skipping them: a skip would count
    # as a pass. .ci/run installs it.
    if shutil.which("qemu-img") is None:
        pytest.fail("qemu-img is not installed (Debian: apt-get install qemu-utils)")

RAW_OFFSETS = (0, 3 * MiB)
RAW_SIZE = 8 * MiB


def qemu_img(*args):
    subprocess.run(["qemu-img", *args], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def workdir():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def raw_file(directory):
    """An 8 MiB raw disk with the pattern at each of RAW_OFFSETS, zeros elsewhere."""
    path = directory / "disk.raw"
    disks.create_sparse(path, RAW_SIZE)
    with path.open("r+b") as f:
        for off in RAW_OFFSETS:
            os.pwrite(f.fileno(), PATTERN, off)
    return path


def qcow2_of(raw, **options):
    out = raw.with_suffix(".qcow2")
    opts = ["-o", ",".join(f"{k}={v}" for k, v in options.items())] if options else []
    qemu_img("convert", "-f", "raw", "-O", "qcow2", *opts, str(raw), str(out))
    return out


def expected_map(data):
    """The data map (harness.data_map) of a root disk that holds ``data``."""
    block = 64 * 1024
    return {pos: hashlib.sha256(data[pos:pos + block]).hexdigest()
            for pos in range(0, len(data), block) if data[pos:pos + block].strip(b"\0")}


def upload(admin, name, data, disk_format):
    image = admin.image.create_image(name=name, data=data, disk_format=disk_format,
                                     container_format="bare", visibility="public")
    return image.id


@contextlib.contextmanager
def booted_from(cloud, member, admin, name, image_name, status="ACTIVE"):
    """A server booted from ``image_name``, in ``status``; deleted (and checked) after."""
    created = helpers.boot(member, name, image=image_name)
    try:
        helpers.wait_status(member, created.id, status, timeout=60)
        yield created
    finally:
        mv.delete_and_check(cloud, member, admin, created.id)


def _scenario_qcow2_image_becomes_the_raw_root_disk(
        cloud, member, admin, notifications, monkeypatch):
    with workdir() as tmp:
        raw = raw_file(tmp)
        image_id = upload(admin, "qcow2-pattern", qcow2_of(raw).read_bytes(), "qcow2")
        raw = raw.read_bytes()
    try:
        with booted_from(cloud, member, admin, "local-qcow2", "qcow2-pattern") as created:
            uuid = created.id
            drv = driver_of(cloud, mv.host_of(admin, uuid))
            assert not disks.is_qcow2(drv.disk_path(uuid))
            assert drv.disk_path(uuid).stat().st_size == GiB  # m1.tiny's root_gb
            assert drv.read_disk(uuid, 0, RAW_SIZE) == raw
            assert data_map(cloud, admin, uuid) == expected_map(raw)
            # Still sparse: the conversion wrote the data, not the zeros.
            assert disks.allocated_bytes(drv.disk_path(uuid)) < 2 * MiB
            mv.migrate_and_wait(cloud, admin, notifications, uuid,
                                host=mv.across(mv.host_of(admin, uuid)))
            assert data_map(cloud, admin, uuid) == expected_map(raw)
            mv.confirm_and_wait(cloud, member, notifications, uuid)
            mv.check(cloud, uuid)
    finally:
        admin.image.delete_image(image_id)


def _scenario_raw_image_that_looks_like_qcow2_stays_raw(
        cloud, member, admin, notifications, monkeypatch):
    with workdir() as tmp:
        data = qcow2_of(raw_file(tmp)).read_bytes()
    image_id = upload(admin, "raw-with-qcow2-header", data, "raw")
    try:
        with booted_from(cloud, member, admin, "local-raw-magic",
                         "raw-with-qcow2-header") as created:
            drv = driver_of(cloud, mv.host_of(admin, created.id))
            assert drv.read_disk(created.id, 0, len(data)) == data
    finally:
        admin.image.delete_image(image_id)


def _scenario_qcow2_with_a_backing_file_is_refused(
        cloud, member, admin, notifications, monkeypatch):
    with workdir() as tmp:
        secret = tmp / "host-file.raw"
        secret.write_bytes(b"host secret" * 1000)
        qemu_img("create", "-f", "qcow2", "-F", "raw", "-b", str(secret), str(tmp / "b.qcow2"))
        image_id = upload(admin, "qcow2-backed", (tmp / "b.qcow2").read_bytes(), "qcow2")
        try:
            with booted_from(cloud, member, admin, "local-backed", "qcow2-backed",
                             status="ERROR") as created:
                assert "backing file" in faults.faults_of(cloud, created.id)[0]
                drv = driver_of(cloud, mv.host_of(admin, created.id) or "cell1-host1")
                assert not drv.guest_dir(created.id).exists()
        finally:
            admin.image.delete_image(image_id)


def _scenario_qcow2_bigger_than_the_flavor_is_refused(
        cloud, member, admin, notifications, monkeypatch):
    with workdir() as tmp:
        qemu_img("create", "-f", "qcow2", str(tmp / "big.qcow2"), "2G")
        image_id = upload(admin, "qcow2-2g", (tmp / "big.qcow2").read_bytes(), "qcow2")
    try:
        with booted_from(cloud, member, admin, "local-too-small", "qcow2-2g",
                         status="ERROR") as created:
            assert "too small" in faults.faults_of(cloud, created.id)[0]
    finally:
        admin.image.delete_image(image_id)


def test_qcow2_image_becomes_the_raw_root_disk(local):
    local("_scenario_qcow2_image_becomes_the_raw_root_disk")


def test_raw_image_that_looks_like_qcow2_stays_raw(local):
    local("_scenario_raw_image_that_looks_like_qcow2_stays_raw")


def test_qcow2_with_a_backing_file_is_refused(local):
    local("_scenario_qcow2_with_a_backing_file_is_refused")


def test_qcow2_bigger_than_the_flavor_is_refused(local):
    local("_scenario_qcow2_bigger_than_the_flavor_is_refused")
