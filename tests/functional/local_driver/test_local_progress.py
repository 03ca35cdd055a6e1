"""Disk progress of moves with the local driver, as GET /os-migrations shows it.

While a disk moves, the migration record carries the current step's bytes done, total
and rate; the Cirrus fields show them only to a client that sends the detail header,
and Nova's fields are unchanged for everyone else. A pause hook (tests only) stops the
transfer half-way so the test can read the record while the move runs. The scenarios
run in the deployment's process (harness.py).
"""

import contextlib
import threading

from cirrus.compute import progress
from cirrus.compute.drivers import local_disks as disks
from cirrus.compute.drivers.local import STATE, MiB
from tests.functional import helpers
from tests.functional.local_driver.harness import data_map, driver_of, server, write_pattern
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv
from tests.functional.test_cli import openstack_json

# A few MiB of data in 1 MiB blocks: several reports per step, a short stream.
OFFSETS = (0, 2 * MiB, 4 * MiB)
DETAIL = {"Cirrus-Migration-Detail": "1"}
NOVA_FIELDS_2_80 = {
    "id", "instance_uuid", "status", "old_instance_type_id", "new_instance_type_id",
    "created_at", "updated_at", "source_compute", "source_node", "dest_compute",
    "dest_node", "dest_host", "migration_type", "uuid", "user_id", "project_id"}


class Pauses:
    """Stops each named step of a move once, half-way, until ``resume``."""

    def __init__(self, monkeypatch, *steps):
        self._waiting = {step: threading.Event() for step in steps}
        self._go = {step: threading.Event() for step in steps}
        real = progress.DiskProgress.__call__
        pauses = self

        def reporting(reporter, done, total):
            real(reporter, done, total)
            step = reporter.step
            if step in pauses._waiting and 0 < done < total and \
                    not pauses._waiting[step].is_set():
                pauses._waiting[step].set()
                pauses._go[step].wait(60)

        monkeypatch.setattr(progress.DiskProgress, "__call__", reporting)

    def reached(self, step):
        assert self._waiting[step].wait(60), f"the move never reached {step} half-way"

    def resume(self, step):
        self._go[step].set()

    def release_all(self):
        for event in self._go.values():
            event.set()


def listed(cloud, admin, uuid, detail):
    """The server's one migration in GET /os-migrations (2.80), with or without Cirrus's."""
    resp = helpers.raw(cloud, admin, "GET", f"/os-migrations?instance_uuid={uuid}",
                       version="2.80", headers=DETAIL if detail else {})
    assert resp.status_code == 200, resp.text
    (mig,) = resp.json()["migrations"]
    return mig


def disk_fields(mig):
    return {k[len("cirrus:"):]: v for k, v in mig.items() if k.startswith("cirrus:disk_")}


def assert_half_way(cloud, admin, uuid, step):
    """What a reader sees while ``step`` is paused half-way; returns the step's total."""
    figures = disk_fields(listed(cloud, admin, uuid, detail=True))
    assert figures["disk_step"] == step
    assert 0 < figures["disk_processed_bytes"] < figures["disk_total_bytes"]
    assert figures["disk_rate_bytes_per_sec"] >= 0
    assert set(listed(cloud, admin, uuid, detail=False)) == NOVA_FIELDS_2_80
    return figures["disk_total_bytes"]


def assert_done(figures, step, total):
    assert (figures["disk_step"], figures["disk_processed_bytes"],
            figures["disk_total_bytes"]) == (step, total, total)
    assert figures["disk_rate_bytes_per_sec"] > 0


@contextlib.contextmanager
def moving(cloud, admin, uuid, host, pauses):
    """Start a cold migration to ``host`` in a thread; on leaving, let it end."""
    thread = threading.Thread(target=faults.migrate, args=(cloud, admin, uuid, host))
    thread.start()
    try:
        yield
    finally:
        pauses.release_all()
        thread.join(60)
    helpers.wait_status(admin, uuid, "VERIFY_RESIZE", timeout=60)


def _scenario_same_cell_copy_progress(cloud, member, admin, notifications, monkeypatch):
    with server(cloud, member, admin, "local-progress-copy") as created, \
            mv.overridden(cloud, migration_progress_interval=0.0):
        uuid = created.id
        source = mv.host_of(admin, uuid)
        before = write_pattern(cloud, admin, uuid, OFFSETS)
        pauses = Pauses(monkeypatch, progress.COPY)
        with moving(cloud, admin, uuid, mv.other_host(source), pauses):
            pauses.reached(progress.COPY)
            seen_total = assert_half_way(cloud, admin, uuid, progress.COPY)
        # The bytes copied: the data extents of every disk the source set aside.
        aside = driver_of(cloud, source).aside_dir(uuid)
        moved = sum(disks.data_bytes(p) for p in aside.iterdir() if p.name != STATE)
        assert moved == seen_total
        assert_done(disk_fields(listed(cloud, admin, uuid, detail=True)),
                    progress.COPY, moved)
        assert set(listed(cloud, admin, uuid, detail=False)) == NOVA_FIELDS_2_80
        assert data_map(cloud, admin, uuid) == before
        # The unmodified CLI still reads the list (it sends no detail header).
        rows = openstack_json(cloud, "cirrus-admin", "server", "migration", "list",
                              "--server", uuid)
        assert [(r["Type"], r["Status"], r["Source Compute"]) for r in rows] == [
            ("migration", "finished", source)]
        mv.confirm_and_wait(cloud, member, notifications, uuid)
        mv.check(cloud, uuid)


def _scenario_cross_cell_upload_and_download_progress(
        cloud, member, admin, notifications, monkeypatch):
    with server(cloud, member, admin, "local-progress-xcell") as created, \
            mv.overridden(cloud, migration_progress_interval=0.0):
        uuid = created.id
        source = mv.host_of(admin, uuid)
        source_cell = helpers.cell_of(cloud, uuid)
        before = write_pattern(cloud, admin, uuid, OFFSETS)
        # The stream leaves out the root disk's trailing hole.
        sent = disks.stream_bytes(driver_of(cloud, source).disk_path(uuid), trim=True)
        pauses = Pauses(monkeypatch, progress.UPLOAD, progress.DOWNLOAD)
        with moving(cloud, admin, uuid, mv.across(source), pauses):
            pauses.reached(progress.UPLOAD)
            assert assert_half_way(cloud, admin, uuid, progress.UPLOAD) == sent
            pauses.resume(progress.UPLOAD)
            pauses.reached(progress.DOWNLOAD)
            assert assert_half_way(cloud, admin, uuid, progress.DOWNLOAD) == sent
        assert data_map(cloud, admin, uuid) == before
        # The list shows the destination's record, at the end of the download; the
        # source's record kept the figures of the upload.
        shown = listed(cloud, admin, uuid, detail=True)
        assert shown["cirrus:cross_cell_move"] is True
        assert_done(disk_fields(shown), progress.DOWNLOAD, sent)
        (at_source,) = faults.migrations(cloud, uuid, cell=source_cell)
        assert (at_source.disk_step, at_source.disk_processed, at_source.disk_total,
                at_source.disk_remaining) == (progress.UPLOAD, sent, sent, 0)
        assert set(listed(cloud, admin, uuid, detail=False)) == NOVA_FIELDS_2_80
        mv.confirm_and_wait(cloud, member, notifications, uuid)
        mv.check(cloud, uuid)


def test_same_cell_copy_progress(local):
    local("_scenario_same_cell_copy_progress")


def test_cross_cell_upload_and_download_progress(local):
    local("_scenario_cross_cell_upload_and_download_progress")
