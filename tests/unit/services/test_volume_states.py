"""Volume microversions, attachment transitions and volume status (no database)."""

import pytest

from cirrus import exception
from cirrus.db.services import models
from cirrus.volume import attachments, microversion, volumes


@pytest.mark.parametrize(("header", "version"), [
    (None, (3, 0)), ("", (3, 0)), ("volume 3.44", (3, 44)), ("volume latest", (3, 70)),
    ("compute 2.1, volume 3.27", (3, 27)), ("Volume 3.0", (3, 0)), ("compute 2.90", (3, 0)),
])
def test_parse(header, version):
    assert microversion.parse(header) == version


@pytest.mark.parametrize(("header", "error"), [
    ("volume 3.71", exception.InvalidGlobalAPIVersion),
    ("volume 2.0", exception.InvalidGlobalAPIVersion),
    ("volume 3.x", exception.Invalid), ("volume 03.1", exception.Invalid),
    ("volume 3", exception.Invalid),
])
def test_parse_rejections(header, error):
    with pytest.raises(error):
        microversion.parse(header)


def test_invalid_version_is_406():
    with pytest.raises(exception.InvalidGlobalAPIVersion) as caught:
        microversion.parse("volume 9.9")
    assert caught.value.code == 406
    assert "Minimum is 3.0 and maximum is 3.70" in caught.value.message


def _volume(*statuses):
    volume = models.Volume(id="vol", status="available", attachments=[])
    for i, status in enumerate(statuses):
        volume.attachments.append(models.VolumeAttachment(id=f"a{i}", status=status,
                                                          instance_uuid="vm"))
    return volume


@pytest.mark.parametrize(("statuses", "expected"), [
    ((), "available"), (("reserved",), "reserved"), (("reserved", "attaching"), "attaching"),
    (("attached", "reserved"), "in-use"), (("attaching", "attached"), "in-use"),
])
def test_volume_status_follows_attachments(statuses, expected):
    volume = _volume(*statuses)
    volumes.refresh_status(volume)
    assert volume.status == expected


@pytest.mark.parametrize(("start", "end"), sorted(attachments.TRANSITIONS))
def test_allowed_attachment_transitions(start, end):
    attachment = models.VolumeAttachment(id="a", status=start)
    attachments.set_status(attachment, end)
    assert attachment.status == end


@pytest.mark.parametrize(("start", "end"), [("reserved", "attached"), ("attached", "attaching"),
                                            ("attached", "reserved"), ("attaching", "reserved")])
def test_refused_attachment_transitions(start, end):
    attachment = models.VolumeAttachment(id="a", status=start)
    with pytest.raises(exception.InvalidVolume):
        attachments.set_status(attachment, end)


def test_connection_info_is_well_formed():
    volume = models.Volume(id="vol-1")
    attachment = models.VolumeAttachment(id="att-1", attach_mode="ro")
    info = attachments.connection_info(volume, attachment, {"initiator": "iqn.x", "host": "h"})
    assert info["driver_volume_type"] == "iscsi"
    assert info["attachment_id"] == "att-1"
    data = info["data"]
    assert (data["volume_id"], data["access_mode"], data["target_lun"]) == ("vol-1", "ro", 0)
    assert data["target_iqn"].endswith("vol-1")
    assert data["target_portal"].endswith(":3260")
