"""Volumes attached and detached while a server is resized (VERIFY_RESIZE).

As Nova: attach and detach are allowed while resized. A confirm keeps what was changed on
the destination; a revert carries it back, so the server returns to its source host with
the volumes it had at the end, each attached to that host once (within a cell and across
cells, where Nova syncs the source cell's block device mappings).
"""

import pytest

from tests.functional import helpers
from tests.functional.moves import helpers as mv
from tests.functional.moves.helpers import across
from tests.functional.volumes import helpers as vh

_VA = "/servers/{}/os-volume_attachments"


@pytest.fixture(autouse=True, scope="module")
def cross_cell_allowed(cloud):
    with mv.cross_cell_allowed(cloud):
        yield


def _attach(cloud, conn, server_id, volume_id):
    resp = helpers.raw(cloud, conn, "POST", _VA.format(server_id),
                       json={"volumeAttachment": {"volumeId": volume_id}})
    assert resp.status_code == 200, resp.text


def _detach(cloud, conn, server_id, volume_id):
    resp = helpers.raw(cloud, conn, "DELETE", f"{_VA.format(server_id)}/{volume_id}")
    assert resp.status_code == 202, resp.text


def _listed(cloud, conn, server_id):
    resp = helpers.raw(cloud, conn, "GET", _VA.format(server_id))
    assert resp.status_code == 200, resp.text
    return {a["volumeId"] for a in resp.json()["volumeAttachments"]}


def _attached_to(cloud, conn, server_id):
    """{volume id: [hosts its attachments for the server are connected to]}."""
    out = {}
    for att in vh.volumes(cloud, conn).list_attachments(instance_id=server_id):
        full = vh.volumes(cloud, conn).get_attachment(att.id)
        initiator = (full.connection_info or {}).get("initiator") or ""
        out.setdefault(att.volume_id, []).append(initiator.rsplit(":", 1)[-1])
    return out


def _resized(cloud, member, admin, notifications, server_id, cross_cell):
    source = mv.host_of(admin, server_id)
    if cross_cell:
        mv.move_across(cloud, admin, notifications, server_id, across(source))
    else:
        mv.resize_and_wait(cloud, member, notifications, server_id, "2")
    dest = mv.host_of(admin, server_id)
    assert dest != source
    return source, dest


@pytest.mark.parametrize("cross_cell", [False, True], ids=["same-cell", "cross-cell"])
@pytest.mark.parametrize("end", ["confirm", "revert"])
def test_attach_and_detach_while_resized(cloud, member, admin, notifications, cross_cell,
                                         end):
    client = vh.volumes(cloud, member)
    kept, dropped, added = (client.create_volume(1, name=f"wr-{n}").id
                            for n in ("kept", "dropped", "added"))
    created = helpers.boot(member, f"while-resized-{end}", zone=None if cross_cell
                           else "cell1")
    server_id = created.id
    helpers.wait_status(member, server_id, "ACTIVE")
    try:
        _attach(cloud, member, server_id, kept)
        _attach(cloud, member, server_id, dropped)
        source, dest = _resized(cloud, member, admin, notifications, server_id, cross_cell)
        _attach(cloud, member, server_id, added)
        _detach(cloud, member, server_id, dropped)
        vh.wait_volume_status(cloud, member, dropped, "available")
        assert _listed(cloud, member, server_id) == {kept, added}
        if end == "confirm":
            mv.confirm_and_wait(cloud, member, notifications, server_id)
            home = dest
        else:
            mv.revert_and_wait(cloud, member, notifications, server_id)
            home = source
        assert mv.host_of(admin, server_id) == home
        assert _listed(cloud, member, server_id) == {kept, added}
        # One attachment per volume, connected to the host the server runs on.
        assert _attached_to(cloud, member, server_id) == {kept: [home], added: [home]}
        assert {b.volume_id for b in vh.bdms(cloud, server_id)} == {kept, added}
        assert client.get_volume(dropped).status == "available"
        mv.check(cloud, server_id)
    finally:
        vh.delete_and_wait(member, server_id)
        for volume_id in (kept, dropped, added):
            vh.wait_volume_status(cloud, member, volume_id, "available")
            client.delete_volume(volume_id)
