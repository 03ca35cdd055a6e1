"""Cross-cell moves of a volume-backed server: no snapshot, attachments in both cells.

Nova's TestMultiCellMigrate volume-backed cases: two attachments per volume while
VERIFY_RESIZE, one after a confirm, a revert or a failed move.
"""

import pytest

from cirrus import exception
from cirrus.objects import block_device as bdm_obj
from tests.functional import helpers
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv
from tests.functional.moves.helpers import across, copy_in
from tests.functional.volumes import helpers as vh
from tests.functional.volumes.test_volume_moves import _held, _named, _no_root_disk


@pytest.fixture(autouse=True, scope="module")
def cross_cell_allowed(cloud):
    with mv.cross_cell_allowed(cloud):
        yield


def _cell_name(host):
    return host.split("-")[0]


def _bdms_in(cloud, cell_name, server_id):
    (cell,) = [c for c in cloud.runtime.cells() if c.name == cell_name]
    with cloud.runtime.cell_reader(cell) as s:
        return {b.volume_id: b.attachment_id for b in bdm_obj.get_by_instance(s, server_id)}


def _move_across(cloud, member, admin, notifications, server_id):
    """Migrate to the other cell; checks VERIFY_RESIZE; returns (source, dest, before)."""
    source = mv.host_of(admin, server_id)
    dest = across(source)
    before = _named(cloud, server_id)
    mig = mv.move_across(cloud, admin, notifications, server_id, dest)
    after = _named(cloud, server_id)
    assert set(after) == set(before) and not set(after.values()) & set(before.values())
    # The source copy still names its attachments; the server's copy names new ones.
    assert _bdms_in(cloud, _cell_name(source), server_id) == before
    assert _held(cloud, member, server_id) == {v: {before[v], after[v]} for v in before}
    assert mv.allocations_by_consumer(cloud, server_id, mig.uuid) == {
        server_id: {helpers.provider_of(cloud, dest): _no_root_disk(cloud, admin, "1")},
        mig.uuid: {helpers.provider_of(cloud, source): _no_root_disk(cloud, admin, "1")}}
    # The root disk is a volume: no snapshot was taken (Nova's is_bfv).
    assert mv.temp_images(cloud, mv.show(cloud, member, server_id)["name"]) == []
    return source, dest, before, after


@pytest.mark.parametrize("end", ["confirm", "revert"])
def test_cross_cell_move_of_a_volume_backed_server(cloud, member, admin, notifications,
                                                   end, monkeypatch):
    server_id = vh.boot_from_image_volume(cloud, member, "xcell-bfv")
    images = cloud.runtime.image
    created = []
    real = images.create_image
    monkeypatch.setattr(images, "create_image",
                        lambda *a, **kw: created.append(kw.get("name")) or real(*a, **kw))
    try:
        source, dest, before, after = _move_across(cloud, member, admin, notifications,
                                                   server_id)
        assert created == []
        assert mv.show(cloud, member, server_id)["image"] == ""
        if end == "confirm":
            mv.confirm_and_wait(cloud, member, notifications, server_id)
            kept, host, gone = after, dest, source
        else:
            mv.revert_and_wait(cloud, member, notifications, server_id)
            kept, host, gone = before, source, dest
        assert mv.host_of(admin, server_id) == host
        assert copy_in(cloud, _cell_name(gone), server_id) is None
        assert _named(cloud, server_id) == kept
        assert _held(cloud, member, server_id) == {v: {a} for v, a in kept.items()}
        for volume_id in kept:
            assert vh.volumes(cloud, member).get_volume(volume_id).status == "in-use"
        assert helpers.allocations(cloud, server_id) == {
            helpers.provider_of(cloud, host): _no_root_disk(cloud, admin, "1")}
        mv.check(cloud, server_id)
    finally:
        vh.delete_and_wait(member, server_id)
    assert vh.attachments_of(cloud, member, server_id) == {}


def test_a_lost_attachment_reply_at_dest_rolls_back(cloud, member, admin, notifications,
                                                    monkeypatch):
    """The volume service makes the destination's attachment but the reply is lost."""
    server_id = vh.boot_from_image_volume(cloud, member, "xcell-bfv-fail")
    try:
        source = mv.host_of(admin, server_id)
        before = _named(cloud, server_id)
        client = vh.volumes(cloud, member)
        real = client.create_attachment

        def lost_reply(*args, **kwargs):
            real(*args, **kwargs)
            raise exception.ServiceUnavailable(reason="injected: reply lost")

        monkeypatch.setattr(client, "create_attachment", lost_reply)
        mv.post_action(cloud, admin, server_id, {"migrate": {"host": across(source)}},
                       version="2.56")
        server = helpers.wait_for_any(admin, server_id, {"ACTIVE", "ERROR"})
        monkeypatch.undo()
        assert server.status == "ACTIVE", server.fault
        assert mv.host_of(admin, server_id) == source
        (mig,) = mv.migrations_of(cloud, admin, server_id)
        assert mig["status"] == "error"
        assert copy_in(cloud, _cell_name(across(source)), server_id) is None
        # The rollback found and deleted the attachment nobody recorded.
        assert _held(cloud, member, server_id) == {v: {a} for v, a in before.items()}
        mv.check(cloud, server_id)

        # The server moves fine afterwards.
        _move_across(cloud, member, admin, notifications, server_id)
        mv.confirm_and_wait(cloud, member, notifications, server_id)
        mv.check(cloud, server_id)
    finally:
        vh.delete_and_wait(member, server_id)


def test_a_failed_spawn_at_dest_leaves_the_source_attachments(cloud, member, admin,
                                                              notifications):
    server_id = vh.boot_from_image_volume(cloud, member, "xcell-bfv-spawn")
    try:
        source = mv.host_of(admin, server_id)
        dest = across(source)
        before = _named(cloud, server_id)
        with faults.fail_once(cloud, dest, "spawn"):
            mv.post_action(cloud, admin, server_id, {"migrate": {"host": dest}},
                           version="2.56")
            faults.settled(cloud, member, server_id, "ERROR", "error")
        assert mv.host_of(admin, server_id) == source
        assert copy_in(cloud, _cell_name(dest), server_id) is None
        # The destination's attachments went with the rollback of PrepResizeAtDest.
        assert _held(cloud, member, server_id) == {v: {a} for v, a in before.items()}
        mv.check(cloud, server_id)

        faults.hard_reboot(cloud, member, server_id)
        mv.check(cloud, server_id)
        _move_across(cloud, member, admin, notifications, server_id)
        mv.confirm_and_wait(cloud, member, notifications, server_id)
        mv.check(cloud, server_id)
    finally:
        vh.delete_and_wait(member, server_id)
    assert vh.attachments_of(cloud, member, server_id) == {}
