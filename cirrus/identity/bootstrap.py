"""Initial identity records and the operator functions behind ``cirrus-manage identity``.

Every function opens its own transaction on the API database and can be run again
safely: existing records are reused, never duplicated.
"""

import dataclasses
import logging

from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.engine import EngineRegistry
from cirrus.identity import passwords
from cirrus.objects import identity

LOG = logging.getLogger(__name__)

# admin implies manager implies member implies reader at the consuming services;
# service marks the accounts the services themselves use.
DEFAULT_ROLES = ("admin", "manager", "member", "reader", "service")


@dataclasses.dataclass(frozen=True)
class BootstrapResult:
    """The records bootstrap guarantees."""

    admin_user: identity.User
    admin_project: identity.Project
    service_user: identity.User
    service_project: identity.Project
    roles: tuple[identity.Role, ...]


def bootstrap(
    engines: EngineRegistry,
    api_db_url: str,
    admin_password: str,
    *,
    admin_user: str = "admin",
    admin_project: str = "admin",
    service_user: str = "cirrus",
    service_project: str = "service",
    service_password: str | None = None,
    domain_id: str = identity.DEFAULT_DOMAIN_ID,
) -> BootstrapResult:
    """Create the default roles, the admin account and the service account; idempotent.

    Run again, it keeps every id and sets the admin password (and the service password,
    when given) to the values passed, so it doubles as a password reset.

    Args:
        engines: the process's engine registry.
        api_db_url: the API database.
        admin_password: password of the admin user.
        admin_user: name of the user that gets ``admin`` on ``admin_project``.
        admin_project: name of the admin project.
        service_user: name of the services' account, with ``admin`` and ``service`` on
            ``service_project``.
        service_project: name of the services' project.
        service_password: password of the service user; None leaves it unable to log in
            with a password (services sign their own tokens with the shared key).
        domain_id: domain of all of these.

    Returns:
        The users, projects and roles that now exist.
    """
    with engines.session(api_db_url) as sess:
        roles = tuple(identity.ensure_role(sess, name) for name in DEFAULT_ROLES)
        by_name = {r.name: r for r in roles}
        a_project = _ensure_project(sess, admin_project, domain_id, "Administration")
        a_user = _ensure_user(sess, admin_user, admin_password, domain_id, reset=True)
        identity.assign_role(sess, a_user.id, a_project.id, by_name["admin"].id)
        s_project = _ensure_project(sess, service_project, domain_id, "Service accounts")
        s_user = _ensure_user(
            sess, service_user, service_password, domain_id, reset=service_password is not None
        )
        for role in ("admin", "service"):
            identity.assign_role(sess, s_user.id, s_project.id, by_name[role].id)
    LOG.info("Identity bootstrap done: users %s and %s", admin_user, service_user)
    return BootstrapResult(
        admin_user=a_user,
        admin_project=a_project,
        service_user=s_user,
        service_project=s_project,
        roles=roles,
    )


def _ensure_project(sess: Session, name: str, domain_id: str, description: str) -> identity.Project:
    found = identity.get_project_by_name(sess, name, domain_id)
    if found is not None:
        return found
    return identity.create_project(sess, name, domain_id=domain_id, description=description)


def _ensure_user(
    sess: Session, name: str, password: str | None, domain_id: str, *, reset: bool
) -> identity.User:
    hashed = passwords.hash_password(password) if password is not None else None
    found = identity.get_user_by_name(sess, name, domain_id)
    if found is None:
        return identity.create_user(sess, name, hashed, domain_id=domain_id)
    if reset:
        identity.set_password(sess, found.id, hashed)
        found = dataclasses.replace(found, password_hash=hashed)
    return found


def create_user(
    engines: EngineRegistry,
    api_db_url: str,
    name: str,
    password: str | None,
    *,
    domain_id: str = identity.DEFAULT_DOMAIN_ID,
    exist_ok: bool = False,
) -> identity.User:
    """Create a user with a hashed password.

    Args:
        engines: the process's engine registry.
        api_db_url: the API database.
        name: user name, unique in the domain.
        password: clear-text password; None makes an account that cannot log in.
        domain_id: the user's domain.
        exist_ok: return an existing user of that name (its password set to
            ``password``) instead of failing.

    Raises:
        Conflict: the user exists and ``exist_ok`` is False.
    """
    with engines.session(api_db_url) as sess:
        if exist_ok:
            return _ensure_user(sess, name, password, domain_id, reset=True)
        hashed = passwords.hash_password(password) if password is not None else None
        return identity.create_user(sess, name, hashed, domain_id=domain_id)


def create_project(
    engines: EngineRegistry,
    api_db_url: str,
    name: str,
    *,
    description: str | None = None,
    domain_id: str = identity.DEFAULT_DOMAIN_ID,
    exist_ok: bool = False,
) -> identity.Project:
    """Create a project.

    Args:
        engines: the process's engine registry.
        api_db_url: the API database.
        name: project name, unique in the domain.
        description: free text.
        domain_id: the project's domain.
        exist_ok: return an existing project of that name instead of failing.

    Raises:
        Conflict: the project exists and ``exist_ok`` is False.
    """
    with engines.session(api_db_url) as sess:
        if exist_ok:
            found = identity.get_project_by_name(sess, name, domain_id)
            if found is not None:
                return found
        return identity.create_project(sess, name, domain_id=domain_id, description=description)


def grant_role(
    engines: EngineRegistry,
    api_db_url: str,
    user: str,
    project: str,
    role: str,
    *,
    domain_id: str = identity.DEFAULT_DOMAIN_ID,
) -> bool:
    """Give ``user`` the ``role`` on ``project``; idempotent.

    Args:
        engines: the process's engine registry.
        api_db_url: the API database.
        user: user name (in ``domain_id``) or id.
        project: project name (in ``domain_id``) or id.
        role: role name; created when it does not exist yet.
        domain_id: the domain names are looked up in.

    Returns:
        True when the assignment is new.

    Raises:
        NotFound: no such user or project.
    """
    with engines.session(api_db_url) as sess:
        u = identity.get_user_by_name(sess, user, domain_id) or identity.get_user(sess, user)
        if u is None:
            raise exception.NotFound(f"Could not find user: {user}.")
        p = identity.get_project_by_name(sess, project, domain_id) or identity.get_project(
            sess, project
        )
        if p is None:
            raise exception.NotFound(f"Could not find project: {project}.")
        r = identity.ensure_role(sess, role)
        return identity.assign_role(sess, u.id, p.id, r.id)
