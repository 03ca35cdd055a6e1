"""Resize of a volume-backed server with a data volume: attachments at every step."""

import pytest

from tests.functional import helpers
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv
from tests.functional.volumes import helpers as vh


def _no_root_disk(cloud, admin, flavor_id):
    """What a volume-backed server of ``flavor_id`` holds in Placement."""
    want = mv.resources(cloud, admin, flavor_id)
    want["DISK_GB"] -= mv.flavor(cloud, admin, flavor_id)["disk"]
    return {k: v for k, v in want.items() if v}


def _attach_data_volume(cloud, conn, server_id):
    volume = vh.volumes(cloud, conn).create_volume(1, name="data")
    resp = helpers.raw(cloud, conn, "POST", f"/servers/{server_id}/os-volume_attachments",
                       json={"volumeAttachment": {"volumeId": volume.id,
                                                  "delete_on_termination": True}})
    assert resp.status_code == 200, resp.text
    return volume.id


def _named(cloud, server_id):
    return {b.volume_id: b.attachment_id for b in vh.bdms(cloud, server_id)}


def _held(cloud, conn, server_id):
    """{volume id: set of attachment ids} in the volume service."""
    out = {}
    for att_id, (volume_id, status) in vh.attachments_of(cloud, conn, server_id).items():
        assert status == "attached"
        out.setdefault(volume_id, set()).add(att_id)
    return out


def _resize(cloud, member, admin, notifications, server_id, flavor_id):
    """Resize to VERIFY_RESIZE; returns (attachments before, the migration uuid)."""
    before = _named(cloud, server_id)
    mv.resize_and_wait(cloud, member, notifications, server_id, flavor_id)
    after = _named(cloud, server_id)
    # The destination has its own attachment of each volume; the source's is kept.
    assert set(after) == set(before)
    assert not set(after.values()) & set(before.values())
    assert _held(cloud, member, server_id) == {
        v: {before[v], after[v]} for v in before}
    mv.check(cloud, server_id)
    mig = mv.finished_migration(cloud, server_id)
    return before, after, mig


def test_resize_confirm_then_revert(cloud, member, admin, notifications):
    server_id = vh.boot_from_image_volume(cloud, member, "bfv-resize", zone="cell1")
    try:
        data = _attach_data_volume(cloud, member, server_id)
        source = mv.host_of(admin, server_id)
        before, after, mig = _resize(cloud, member, admin, notifications, server_id, "2")
        dest = mv.host_of(admin, server_id)
        assert dest != source
        assert mv.allocations_by_consumer(cloud, server_id, mig.uuid) == {
            server_id: {helpers.provider_of(cloud, dest): _no_root_disk(cloud, admin, "2")},
            mig.uuid: {helpers.provider_of(cloud, source): _no_root_disk(cloud, admin, "1")}}

        mv.confirm_and_wait(cloud, member, notifications, server_id)
        assert _named(cloud, server_id) == after
        assert _held(cloud, member, server_id) == {v: {a} for v, a in after.items()}
        assert helpers.allocations(cloud, server_id) == {
            helpers.provider_of(cloud, dest): _no_root_disk(cloud, admin, "2")}
        mv.check(cloud, server_id)

        kept, _, _ = _resize(cloud, member, admin, notifications, server_id, "1")
        mv.revert_and_wait(cloud, member, notifications, server_id)
        assert mv.host_of(admin, server_id) == dest
        # The revert deleted the new attachments and went back to the kept ones.
        assert _named(cloud, server_id) == kept
        assert _held(cloud, member, server_id) == {v: {a} for v, a in kept.items()}
        for volume_id in kept:
            assert vh.volumes(cloud, member).get_volume(volume_id).status == "in-use"
        mv.check(cloud, server_id)
    finally:
        vh.delete_and_wait(member, server_id)
    remaining = {v.id for v in vh.volumes(cloud, member).list_volumes()}
    assert data not in remaining
    assert not set(before) & remaining


@pytest.mark.parametrize(("failing", "method", "ends_on"), [
    ("source", "migrate_disk_and_power_off", "source"),
    ("dest", "finish_migration", "dest")])
def test_failed_resize_keeps_one_attachment_per_volume(cloud, member, admin, failing,
                                                       method, ends_on):
    server_id = vh.boot_from_image_volume(cloud, member, "bfv-resize-fails", zone="cell2")
    try:
        _attach_data_volume(cloud, member, server_id)
        source = mv.host_of(admin, server_id)
        hosts = {"source": source, "dest": mv.other_host(source)}
        before = _named(cloud, server_id)
        with faults.fail_once(cloud, hosts[failing], method):
            faults.resize(cloud, member, server_id, "2")
            faults.settled(cloud, member, server_id, "ERROR", "error")
        assert mv.host_of(admin, server_id) == hosts[ends_on]
        named = _named(cloud, server_id)
        assert _held(cloud, member, server_id) == {v: {a} for v, a in named.items()}
        if ends_on == "source":
            assert named == before
        mv.check(cloud, server_id)

        faults.hard_reboot(cloud, member, server_id)
        mv.check(cloud, server_id)
        faults.retry_resize_and_confirm(cloud, member, server_id, "3")
        named = _named(cloud, server_id)
        assert _held(cloud, member, server_id) == {v: {a} for v, a in named.items()}
    finally:
        vh.delete_and_wait(member, server_id)
    assert vh.attachments_of(cloud, member, server_id) == {}
