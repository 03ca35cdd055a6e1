"""Turning a token request into a user, a scope and roles; and a token back into them.

No HTTP here: functions take API-database sessions and raise domain exceptions.
Every authentication failure is the same ``Unauthorized``, so a caller learns nothing
about which part (user, password, project, roles) was wrong.
"""

import dataclasses
import datetime
import logging
import math
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.identity import passwords, tokens
from cirrus.objects import identity

LOG = logging.getLogger(__name__)

SUPPORTED_METHODS = ("password", "token")

# Opens one short API-database transaction.
SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclasses.dataclass(frozen=True)
class AuthResult:
    """Who authenticated, on which project, with which roles."""

    user: identity.User
    project: identity.Project | None
    """None for an unscoped token."""
    roles: tuple[identity.Role, ...]
    """Roles assigned on the project; implied roles are left to the consuming service."""
    methods: tuple[str, ...]
    not_after: datetime.datetime | None = None
    """A token made from another token may not outlive it (naive UTC)."""


def authenticate(sessions: SessionFactory, signing_key: str, auth: dict[str, Any]) -> AuthResult:
    """Check the identity methods of a validated ``auth`` object and resolve its scope.

    Args:
        sessions: opens API-database transactions; none is held while a password is
            hashed (on SQLite every transaction holds the database's write lock).
        signing_key: the key tokens are signed with (for the ``token`` method).
        auth: the ``auth`` object of a ``POST /v3/auth/tokens`` body, schema-checked.

    Raises:
        Invalid: a listed method has no data, or the scope is not a project.
        Unauthorized: unknown user, wrong password, bad token, or no access to the project.
    """
    ident = auth["identity"]
    methods = tuple(dict.fromkeys(ident["methods"]))
    user: identity.User | None = None
    parent: tokens.TokenInfo | None = None
    for method in methods:
        if method not in SUPPORTED_METHODS:
            LOG.info("Authentication with unsupported method %s refused", method)
            raise exception.Unauthorized()
        if method not in ident:
            raise exception.Invalid(f"Method '{method}' is listed but '{method}' is missing.")
        if method == "password":
            found = _password_user(sessions, ident["password"]["user"])
        else:
            found, parent = _token_user(sessions, signing_key, ident["token"]["id"])
        if user is not None and found.id != user.id:
            LOG.info("Authentication methods named different users")
            raise exception.Unauthorized()
        user = found
    if user is None:  # the schema guarantees at least one method
        raise exception.Unauthorized()
    roles: tuple[identity.Role, ...] = ()
    with sessions() as session:
        project = _scope(session, auth.get("scope"), parent)
        if project is not None:
            roles = tuple(identity.list_user_roles(session, user.id, project.id))
    if project is not None and not roles:
        LOG.info("User %s has no role on project %s", user.id, project.id)
        raise exception.Unauthorized()
    return AuthResult(
        user=user,
        project=project,
        roles=roles,
        methods=methods,
        not_after=parent.expires_at if parent else None,
    )


def _domain_id(ref: dict[str, Any] | None) -> str:
    if ref is None:
        raise exception.Invalid("A domain (id or name) is required with a name.")
    if "id" in ref:
        return str(ref["id"])
    return identity.domain_id_from_name(str(ref["name"]))


def _password_user(sessions: SessionFactory, ref: dict[str, Any]) -> identity.User:
    password = ref["password"]
    with sessions() as session:
        if "id" in ref:
            user = identity.get_user(session, ref["id"])
        else:
            domain_id = _domain_id(ref.get("domain"))
            user = identity.get_user_by_name(session, ref["name"], domain_id)
    if user is None or not user.enabled:
        # Spend the hashing time anyway: response time must not reveal who exists.
        passwords.burn_time(password)
        LOG.info("Password authentication failed: no such enabled user")
        raise exception.Unauthorized()
    if not passwords.verify_password(password, user.password_hash):
        LOG.info("Password authentication failed for user %s", user.id)
        raise exception.Unauthorized()
    return user


def validate_token(signing_key: str, token: str) -> tokens.TokenInfo:
    """``tokens.validate``, also refusing tokens that are not ASCII.

    Raises:
        InvalidToken: forged, malformed or expired.
    """
    # NOTE: hmac.compare_digest raises TypeError on non-ASCII str; a header can carry any
    # Latin-1 text, so reject those before they reach the comparison.
    if not token.isascii():
        raise exception.InvalidToken(reason="malformed")
    return tokens.validate(signing_key, token)


def _token_user(
    sessions: SessionFactory, signing_key: str, token: str
) -> tuple[identity.User, tokens.TokenInfo]:
    info = validate_token(signing_key, token)
    with sessions() as session:
        user = identity.get_user(session, info.user_id)
    if user is None or not user.enabled:
        LOG.info("Token authentication failed: user %s is gone or disabled", info.user_id)
        raise exception.Unauthorized()
    return user, info


def _scope(
    session: Session, scope: Any, parent: tokens.TokenInfo | None
) -> identity.Project | None:
    if scope is None:
        # Re-authenticating with a token and no scope keeps the token's scope.
        if parent is not None and parent.project_id:
            return _enabled_project(identity.get_project(session, parent.project_id))
        return None
    if scope == "unscoped" or not scope:
        return None
    ref = scope.get("project")
    if ref is None:
        raise exception.Invalid("Only project scope is supported.")
    if "id" in ref:
        found = identity.get_project(session, ref["id"])
    else:
        found = identity.get_project_by_name(session, ref["name"], _domain_id(ref["domain"]))
    return _enabled_project(found)


def _enabled_project(project: identity.Project | None) -> identity.Project:
    if project is None or not project.enabled:
        LOG.info("Scope refused: the project does not exist or is disabled")
        raise exception.Unauthorized()
    return project


def issue(signing_key: str, lifetime: int, result: AuthResult) -> tuple[str, tokens.TokenInfo]:
    """Sign a token for ``result``, valid for ``lifetime`` seconds at most.

    A token made from another token keeps the earlier expiry, so re-scoping cannot extend
    a login indefinitely.
    """
    if result.not_after is not None:
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        remaining = math.floor((result.not_after - now).total_seconds())
        lifetime = max(1, min(lifetime, remaining))
    project = result.project
    return tokens.issue(
        signing_key,
        user_id=result.user.id,
        user_name=result.user.name,
        project_id=project.id if project else "",
        project_name=project.name if project else "",
        roles=[r.name for r in result.roles],
        lifetime=lifetime,
    )


def describe(session: Session, info: tokens.TokenInfo) -> AuthResult:
    """What a valid token stands for, for a validation response.

    Tokens are checked the way every service checks them, by signature and expiry; the
    database only fills in what the token does not carry (domains, role ids). A bearer
    whose user was disabled since is refused.

    Raises:
        NotFound: the user is disabled.
    """
    user = identity.get_user(session, info.user_id) or identity.User(
        id=info.user_id,
        name=info.user_name,
        domain_id=identity.DEFAULT_DOMAIN_ID,
        enabled=True,
    )
    if not user.enabled:
        raise exception.NotFound("Could not find token.")
    project: identity.Project | None = None
    if info.project_id:
        project = identity.get_project(session, info.project_id) or identity.Project(
            id=info.project_id,
            name=info.project_name,
            domain_id=identity.DEFAULT_DOMAIN_ID,
            enabled=True,
        )
    # Tokens do not record how they were obtained; every chain starts with a password.
    return AuthResult(
        user=user,
        project=project,
        roles=_roles_by_name(session, info.roles),
        methods=("password",),
    )


def _roles_by_name(session: Session, names: Sequence[str]) -> tuple[identity.Role, ...]:
    known = {r.name: r for r in identity.list_roles(session)}
    # A role deleted since the token was issued keeps a stable, name-derived id.
    return tuple(
        known.get(n) or identity.Role(id=uuid.uuid5(uuid.NAMESPACE_URL, n).hex, name=n)
        for n in names
    )
