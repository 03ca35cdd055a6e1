"""Identity records: users, projects, roles and role assignments in the API database.

Every function takes an open session; the caller owns the transaction. Domains are not
stored as rows: a domain is the ``domain_id`` on users and projects, and only the default
domain has a name different from its id (``default`` is called ``Default``, as clients
expect).
"""

import dataclasses
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.api import models

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"


@dataclasses.dataclass(frozen=True)
class User:
    """An identity user."""

    id: str
    name: str
    domain_id: str
    enabled: bool
    password_hash: str | None = dataclasses.field(default=None, repr=False)
    """The stored scrypt string; kept out of ``repr`` so it never reaches a log."""


@dataclasses.dataclass(frozen=True)
class Project:
    """An identity project."""

    id: str
    name: str
    domain_id: str
    enabled: bool
    description: str | None = None


@dataclasses.dataclass(frozen=True)
class Role:
    """A role that can be assigned to a user on a project."""

    id: str
    name: str


def domain_name(domain_id: str) -> str:
    """The display name of a domain."""
    return DEFAULT_DOMAIN_NAME if domain_id == DEFAULT_DOMAIN_ID else domain_id


def domain_id_from_name(name: str) -> str:
    """The id of the domain called ``name``."""
    return DEFAULT_DOMAIN_ID if name == DEFAULT_DOMAIN_NAME else name


def new_id() -> str:
    """A new identity id: 32 hex digits, the form Keystone uses."""
    return uuid.uuid4().hex


def _user(row: models.User) -> User:
    return User(
        id=row.id,
        name=row.name,
        domain_id=row.domain_id,
        enabled=row.enabled,
        password_hash=row.password_hash,
    )


def _project(row: models.Project) -> Project:
    return Project(
        id=row.id,
        name=row.name,
        domain_id=row.domain_id,
        enabled=row.enabled,
        description=row.description,
    )


def _role(row: models.Role) -> Role:
    return Role(id=row.id, name=row.name)


# -- users -------------------------------------------------------------------------------


def get_user(session: Session, user_id: str) -> User | None:
    """The user with ``user_id``, or None."""
    row = session.get(models.User, user_id)
    return _user(row) if row else None


def get_user_by_name(session: Session, name: str, domain_id: str) -> User | None:
    """The user called ``name`` in domain ``domain_id``, or None."""
    row = session.scalar(select(models.User).filter_by(name=name, domain_id=domain_id))
    return _user(row) if row else None


def list_users(
    session: Session, *, name: str | None = None, domain_id: str | None = None
) -> list[User]:
    """Users, optionally filtered by exact name and domain, ordered by name."""
    query = select(models.User).order_by(models.User.name, models.User.id)
    if name is not None:
        query = query.filter_by(name=name)
    if domain_id is not None:
        query = query.filter_by(domain_id=domain_id)
    return [_user(r) for r in session.scalars(query)]


def create_user(
    session: Session,
    name: str,
    password_hash: str | None,
    *,
    domain_id: str = DEFAULT_DOMAIN_ID,
    user_id: str | None = None,
    enabled: bool = True,
) -> User:
    """Record a new user.

    Raises:
        Conflict: a user of that name already exists in the domain.
    """
    row = models.User(
        id=user_id or new_id(),
        name=name,
        domain_id=domain_id,
        password_hash=password_hash,
        enabled=enabled,
    )
    _add(session, row, f"user {name} already exists in domain {domain_id}")
    return _user(row)


def set_password(session: Session, user_id: str, password_hash: str | None) -> None:
    """Replace a user's stored hash.

    Raises:
        NotFound: no such user.
    """
    row = session.get(models.User, user_id)
    if row is None:
        raise exception.NotFound(f"Could not find user: {user_id}.")
    row.password_hash = password_hash
    session.flush()


# -- projects ----------------------------------------------------------------------------


def get_project(session: Session, project_id: str) -> Project | None:
    """The project with ``project_id``, or None."""
    row = session.get(models.Project, project_id)
    return _project(row) if row else None


def get_project_by_name(session: Session, name: str, domain_id: str) -> Project | None:
    """The project called ``name`` in domain ``domain_id``, or None."""
    row = session.scalar(select(models.Project).filter_by(name=name, domain_id=domain_id))
    return _project(row) if row else None


def list_projects(
    session: Session, *, name: str | None = None, domain_id: str | None = None
) -> list[Project]:
    """Projects, optionally filtered by exact name and domain, ordered by name."""
    query = select(models.Project).order_by(models.Project.name, models.Project.id)
    if name is not None:
        query = query.filter_by(name=name)
    if domain_id is not None:
        query = query.filter_by(domain_id=domain_id)
    return [_project(r) for r in session.scalars(query)]


def create_project(
    session: Session,
    name: str,
    *,
    domain_id: str = DEFAULT_DOMAIN_ID,
    description: str | None = None,
    project_id: str | None = None,
    enabled: bool = True,
) -> Project:
    """Record a new project.

    Raises:
        Conflict: a project of that name already exists in the domain.
    """
    row = models.Project(
        id=project_id or new_id(),
        name=name,
        domain_id=domain_id,
        description=description,
        enabled=enabled,
    )
    _add(session, row, f"project {name} already exists in domain {domain_id}")
    return _project(row)


def list_user_projects(session: Session, user_id: str) -> list[Project]:
    """The projects on which ``user_id`` holds at least one role, ordered by name."""
    query = (
        select(models.Project)
        .join(models.RoleAssignment, models.RoleAssignment.project_id == models.Project.id)
        .where(models.RoleAssignment.user_id == user_id)
        .distinct()
        .order_by(models.Project.name, models.Project.id)
    )
    return [_project(r) for r in session.scalars(query)]


# -- roles and assignments -----------------------------------------------------------------


def get_role_by_name(session: Session, name: str) -> Role | None:
    """The role called ``name``, or None."""
    row = session.scalar(select(models.Role).filter_by(name=name))
    return _role(row) if row else None


def list_roles(session: Session, *, name: str | None = None) -> list[Role]:
    """Every role (or the one called ``name``), ordered by name."""
    query = select(models.Role).order_by(models.Role.name)
    if name is not None:
        query = query.filter_by(name=name)
    return [_role(r) for r in session.scalars(query)]


def ensure_role(session: Session, name: str) -> Role:
    """The role called ``name``, created when missing."""
    existing = get_role_by_name(session, name)
    if existing is not None:
        return existing
    row = models.Role(id=new_id(), name=name)
    _add(session, row, f"role {name} already exists")
    return _role(row)


def assign_role(session: Session, user_id: str, project_id: str, role_id: str) -> bool:
    """Give ``user_id`` the role on ``project_id``; idempotent.

    Returns:
        True when the assignment is new, False when it already existed.

    Raises:
        Conflict: the user, project or role does not exist.
    """
    exists = session.scalar(
        select(models.RoleAssignment.id).filter_by(
            user_id=user_id, project_id=project_id, role_id=role_id
        )
    )
    if exists is not None:
        return False
    row = models.RoleAssignment(user_id=user_id, project_id=project_id, role_id=role_id)
    _add(session, row, "role assignment refers to a missing user, project or role")
    return True


def list_user_roles(session: Session, user_id: str, project_id: str) -> list[Role]:
    """The roles assigned to ``user_id`` on ``project_id`` (no implied roles), by name."""
    query = (
        select(models.Role)
        .join(models.RoleAssignment, models.RoleAssignment.role_id == models.Role.id)
        .where(
            models.RoleAssignment.user_id == user_id,
            models.RoleAssignment.project_id == project_id,
        )
        .order_by(models.Role.name)
    )
    return [_role(r) for r in session.scalars(query)]


def list_role_names(session: Session, user_id: str, project_id: str) -> list[str]:
    """Names of the roles assigned to ``user_id`` on ``project_id``, sorted."""
    return [r.name for r in list_user_roles(session, user_id, project_id)]


def _add(session: Session, row: object, conflict: str) -> None:
    # NOTE: a savepoint keeps the caller's transaction usable after a unique or foreign-key
    # violation, so a CLI can report the conflict and carry on.
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise exception.Conflict(reason=conflict) from exc
