"""Response bodies in Keystone v3's shapes: the version document, tokens, users, projects."""

from collections.abc import Sequence
from typing import Any

from cirrus.identity import tokens
from cirrus.objects import identity

VERSION_ID = "v3.14"
VERSION_UPDATED = "2020-04-07T00:00:00Z"
MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"


def version(base: str) -> dict[str, Any]:
    """The v3 version object; ``base`` is the identity root URL as the client sees it."""
    return {
        "id": VERSION_ID,
        "status": "stable",
        "updated": VERSION_UPDATED,
        "links": [{"rel": "self", "href": base.rstrip("/") + "/v3/"}],
        "media-types": [{"base": "application/json", "type": MEDIA_TYPE}],
    }


def versions(base: str) -> dict[str, Any]:
    """The multiple-choice document served at the identity root."""
    return {"versions": {"values": [version(base)]}}


def _domain(domain_id: str) -> dict[str, str]:
    return {"id": domain_id, "name": identity.domain_name(domain_id)}


def token_body(
    info: tokens.TokenInfo,
    *,
    methods: Sequence[str],
    user: identity.User,
    project: identity.Project | None,
    roles: Sequence[identity.Role],
    catalog: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """The ``{"token": ...}`` body of an issued or validated token.

    Args:
        info: what the token encodes (times and audit id).
        methods: the authentication methods that produced it.
        user: the bearer.
        project: the scope; None for an unscoped token, which then carries no project,
            roles or catalog.
        roles: the roles assigned on the project (implied roles are not expanded).
        catalog: the service catalog for the project; None leaves the key out.
    """
    body: dict[str, Any] = {
        "methods": list(methods),
        "user": {
            "id": user.id,
            "name": user.name,
            "domain": _domain(user.domain_id),
            "password_expires_at": None,
        },
        "audit_ids": [info.audit_id],
        "expires_at": info.expires_iso,
        "issued_at": info.issued_iso,
    }
    if project is not None:
        body["project"] = {
            "id": project.id,
            "name": project.name,
            "domain": _domain(project.domain_id),
        }
        body["is_domain"] = False
        body["roles"] = [{"id": r.id, "name": r.name} for r in roles]
        if catalog is not None:
            body["catalog"] = catalog
    return {"token": body}


def user(v3: str, u: identity.User) -> dict[str, Any]:
    """One user; ``v3`` is the v3 root URL for links."""
    return {
        "id": u.id,
        "name": u.name,
        "domain_id": u.domain_id,
        "enabled": u.enabled,
        "password_expires_at": None,
        "options": {},
        "links": {"self": f"{v3}/users/{u.id}"},
    }


def project(v3: str, p: identity.Project) -> dict[str, Any]:
    """One project; ``v3`` is the v3 root URL for links."""
    return {
        "id": p.id,
        "name": p.name,
        "domain_id": p.domain_id,
        "description": p.description or "",
        "enabled": p.enabled,
        # Top-level projects have their domain as parent in Keystone.
        "parent_id": p.domain_id,
        "is_domain": False,
        "tags": [],
        "options": {},
        "links": {"self": f"{v3}/projects/{p.id}"},
    }


def role(v3: str, r: identity.Role) -> dict[str, Any]:
    """One role; ``v3`` is the v3 root URL for links."""
    return {
        "id": r.id,
        "name": r.name,
        "domain_id": None,
        "description": None,
        "options": {},
        "links": {"self": f"{v3}/roles/{r.id}"},
    }


def collection(key: str, items: list[dict[str, Any]], self_url: str) -> dict[str, Any]:
    """A list body with Keystone's (unpaginated) links."""
    return {key: items, "links": {"self": self_url, "previous": None, "next": None}}
