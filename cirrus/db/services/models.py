"""Services database models: the state of the global image, network and volume services."""

import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cirrus.db.base import ServicesBase, TimestampMixin


class Image(TimestampMixin, ServicesBase):
    """An image record; its bytes live in the image store under the image id."""

    __tablename__ = "images"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(30), default="queued")
    visibility: Mapped[str] = mapped_column(String(20), default="shared")
    disk_format: Mapped[str | None] = mapped_column(String(20))
    container_format: Mapped[str | None] = mapped_column(String(20))
    size: Mapped[int | None] = mapped_column(BigInteger)
    virtual_size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(32))
    os_hash_algo: Mapped[str | None] = mapped_column(String(64))
    os_hash_value: Mapped[str | None] = mapped_column(String(128))
    min_disk: Mapped[int] = mapped_column(Integer, default=0)
    min_ram: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    os_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    properties: Mapped[list["ImageProperty"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    tags: Mapped[list["ImageTag"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class ImageProperty(ServicesBase):
    """A free-form string property of an image (Glance's extra properties)."""

    __tablename__ = "image_properties"
    __table_args__ = (UniqueConstraint("image_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(Text)


class ImageTag(ServicesBase):
    """A tag on an image."""

    __tablename__ = "image_tags"
    __table_args__ = (UniqueConstraint("image_id", "value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(255), index=True)


class Network(TimestampMixin, ServicesBase):
    """An L2 network; addresses are handed out from its own counter."""

    __tablename__ = "networks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="", index=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    mtu: Mapped[int] = mapped_column(Integer, default=1500)
    physical_network: Mapped[str | None] = mapped_column(String(64))
    """Neutron's ``provider:physical_network``: ports with a bandwidth request on this
    network are placed on a host's bandwidth provider for this physnet."""
    next_host: Mapped[int] = mapped_column(Integer, default=2)
    """Host number of the next automatic fixed IP in the network's 10.0.0.0/16 range."""


class Port(TimestampMixin, ServicesBase):
    """A port on a network, with its fixed IPs and host bindings."""

    __tablename__ = "ports"
    __table_args__ = (UniqueConstraint("network_id", "mac_address"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), index=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    mac_address: Mapped[str] = mapped_column(String(32))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    device_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    device_owner: Mapped[str] = mapped_column(String(255), default="")
    vnic_type: Mapped[str] = mapped_column(String(64), default="normal")
    resource_request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fixed_ips: Mapped[list["IPAllocation"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="IPAllocation.id"
    )
    bindings: Mapped[list["PortBinding"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PortBinding.id"
    )


class IPAllocation(ServicesBase):
    """A fixed IP of a port; unique within its network."""

    __tablename__ = "ip_allocations"
    __table_args__ = (UniqueConstraint("network_id", "ip_address"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"))
    network_id: Mapped[str] = mapped_column(String(36))
    ip_address: Mapped[str] = mapped_column(String(64))
    subnet_id: Mapped[str | None] = mapped_column(String(36))


class PortBinding(ServicesBase):
    """A port's binding to one host; at most one binding of a port is ACTIVE."""

    __tablename__ = "port_bindings"
    __table_args__ = (UniqueConstraint("port_id", "host"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16))
    vif_type: Mapped[str] = mapped_column(String(64))
    vnic_type: Mapped[str] = mapped_column(String(64), default="normal")
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    vif_details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Volume(TimestampMixin, ServicesBase):
    """A block storage volume; its status follows its attachments."""

    __tablename__ = "volumes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), default="available")
    availability_zone: Mapped[str] = mapped_column(String(255), default="nova")
    volume_type: Mapped[str] = mapped_column(String(255), default="__DEFAULT__")
    image_id: Mapped[str | None] = mapped_column(String(36))
    volume_metadata: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    attachments: Mapped[list["VolumeAttachment"]] = relationship(
        lazy="selectin", order_by="VolumeAttachment.created_at"
    )


class VolumeAttachment(TimestampMixin, ServicesBase):
    """One attachment of a volume to a server (reserved, attaching or attached)."""

    __tablename__ = "volume_attachments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    volume_id: Mapped[str] = mapped_column(ForeignKey("volumes.id"), index=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(32))
    attach_mode: Mapped[str] = mapped_column(String(8), default="rw")
    connector: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    connection_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attached_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    detached_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
