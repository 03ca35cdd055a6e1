"""API database models (global tier)."""

import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cirrus.db.base import APIBase, TimestampMixin, utcnow


class CellMapping(TimestampMixin, APIBase):
    """A cell: its database and message transport."""

    __tablename__ = "cell_mappings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    transport_url: Mapped[str] = mapped_column(Text)
    database_connection: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class HostMapping(TimestampMixin, APIBase):
    """Which cell a compute host belongs to."""

    __tablename__ = "host_mappings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell_mappings.id"))
    host: Mapped[str] = mapped_column(String(255), unique=True)


class InstanceMapping(TimestampMixin, APIBase):
    """The single authority on which cell holds a server."""

    __tablename__ = "instance_mappings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("cell_mappings.id"))
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str | None] = mapped_column(String(255))
    queued_for_delete: Mapped[bool] = mapped_column(Boolean, default=False)


class Flavor(TimestampMixin, APIBase):
    """An instance type."""

    __tablename__ = "flavors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavorid: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    memory_mb: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int] = mapped_column(Integer, default=0)
    ephemeral_gb: Mapped[int] = mapped_column(Integer, default=0)
    swap: Mapped[int] = mapped_column(Integer, default=0)
    rxtx_factor: Mapped[float] = mapped_column(Float, default=1.0)
    vcpu_weight: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    extra_specs: Mapped[list["FlavorExtraSpec"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    projects: Mapped[list["FlavorProject"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class FlavorExtraSpec(TimestampMixin, APIBase):
    """A key/value scheduling hint on a flavor."""

    __tablename__ = "flavor_extra_specs"
    __table_args__ = (UniqueConstraint("flavor_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(ForeignKey("flavors.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(String(255))


class FlavorProject(TimestampMixin, APIBase):
    """A project allowed to use a private flavor."""

    __tablename__ = "flavor_projects"
    __table_args__ = (UniqueConstraint("flavor_id", "project_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(ForeignKey("flavors.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(255))


class RequestSpec(TimestampMixin, APIBase):
    """What a server asked the scheduler for, kept for later moves."""

    __tablename__ = "request_specs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    spec: Mapped[str] = mapped_column(Text)


class BuildRequest(TimestampMixin, APIBase):
    """A server accepted by the API and not yet placed in a cell."""

    __tablename__ = "build_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    instance: Mapped[str] = mapped_column(Text)
    block_device_mappings: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)


class KeyPair(TimestampMixin, APIBase):
    """An SSH key pair owned by a user."""

    __tablename__ = "key_pairs"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str | None] = mapped_column(String(255))
    public_key: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(10), default="ssh")


class Quota(TimestampMixin, APIBase):
    """A per-project limit override."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("project_id", "resource"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(Integer)


class QuotaClass(TimestampMixin, APIBase):
    """Default limits (class ``default``)."""

    __tablename__ = "quota_classes"
    __table_args__ = (UniqueConstraint("class_name", "resource"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_name: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(Integer)


class Aggregate(TimestampMixin, APIBase):
    """A host aggregate; metadata ``availability_zone`` makes it a zone."""

    __tablename__ = "aggregates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    hosts: Mapped[list["AggregateHost"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    metadata_items: Mapped[list["AggregateMetadata"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class AggregateHost(APIBase):
    """Membership of a host in an aggregate."""

    __tablename__ = "aggregate_hosts"
    __table_args__ = (UniqueConstraint("host", "aggregate_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aggregate_id: Mapped[int] = mapped_column(ForeignKey("aggregates.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(String(255))


class AggregateMetadata(APIBase):
    """A key/value on an aggregate."""

    __tablename__ = "aggregate_metadata"
    __table_args__ = (UniqueConstraint("aggregate_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aggregate_id: Mapped[int] = mapped_column(ForeignKey("aggregates.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


class InstanceGroup(TimestampMixin, APIBase):
    """A server group with an (anti-)affinity policy."""

    __tablename__ = "instance_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    policy: Mapped[str] = mapped_column(String(255))
    rules: Mapped[str | None] = mapped_column(Text)
    members: Mapped[list["InstanceGroupMember"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class InstanceGroupMember(TimestampMixin, APIBase):
    """A server in a server group."""

    __tablename__ = "instance_group_member"
    __table_args__ = (UniqueConstraint("group_id", "instance_uuid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("instance_groups.id", ondelete="CASCADE"))
    # Indexed on its own: a deleted server is removed, and a shown one looked up, by uuid.
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)


class User(TimestampMixin, APIBase):
    """An identity user (Keystone v3 subset)."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(String(64), default="default")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (UniqueConstraint("domain_id", "name"),)


class Project(TimestampMixin, APIBase):
    """An identity project."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(String(64), default="default")
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (UniqueConstraint("domain_id", "name"),)


class Role(TimestampMixin, APIBase):
    """An identity role (admin, manager, member, reader, ...)."""

    __tablename__ = "roles"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class RoleAssignment(APIBase):
    """A user's role on a project."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "project_id", "role_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class MoveJournal(TimestampMixin, APIBase):
    """A cross-cell move, confirm or revert in flight: its steps and what undoes them.

    Written before each step acts, so that a superconductor that dies mid-move can be
    replaced by one that rolls the move back (or forward, once the mapping has flipped)
    from this row alone.
    """

    __tablename__ = "move_journal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    migration_uuid: Mapped[str] = mapped_column(String(36), index=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)
    operation: Mapped[str] = mapped_column(String(32))
    source_cell_uuid: Mapped[str] = mapped_column(String(36))
    target_cell_uuid: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16), index=True)
    step: Mapped[str | None] = mapped_column(String(64))
    steps: Mapped[str] = mapped_column(Text, default="[]")
    data: Mapped[str] = mapped_column(Text, default="{}")
    request_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str | None] = mapped_column(String(255))
