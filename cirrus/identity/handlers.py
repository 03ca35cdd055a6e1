"""HTTP handlers of the identity API: version documents, tokens, and read-only listings.

Handlers are plain functions taking the service's collaborators first; ``wsgi.py`` binds
them into the route table.
"""

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import falcon
from oslo_config import cfg
from sqlalchemy.orm import Session

from cirrus import context as ctxlib
from cirrus import exception
from cirrus.db.engine import EngineRegistry
from cirrus.identity import authenticate, catalog, schemas, tokens, views
from cirrus.objects import identity
from cirrus.wsgi import auth as wsgi_auth
from cirrus.wsgi import body

# Roles that may look at any token or any identity record.
_OPERATOR_ROLES = frozenset({"admin", "service"})


@dataclasses.dataclass(frozen=True)
class Service:
    """What the identity handlers need: configuration and the API database."""

    conf: cfg.ConfigOpts
    engines: EngineRegistry
    db_url: str
    signing_key: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One API-database transaction."""
        with self.engines.session(self.db_url) as sess:
            yield sess


def base_url(req: falcon.Request) -> str:
    """The identity root as the client addressed it, proxies' forwarded headers honoured."""
    proto = (req.get_header("X-Forwarded-Proto") or "").split(",")[0].strip()
    host = (req.get_header("X-Forwarded-Host") or "").split(",")[0].strip()
    return f"{proto or req.scheme}://{host or req.netloc}{req.root_path}"


def _v3(req: falcon.Request) -> str:
    return base_url(req) + "/v3"


# -- versions ------------------------------------------------------------------------------


def get_versions(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /``: 300 with the list of versions (only v3); no token needed."""
    del svc
    resp.status = falcon.HTTP_300
    resp.media = views.versions(base_url(req))


def get_version(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v3``: 200 with the v3 version document; no token needed."""
    del svc
    resp.media = {"version": views.version(base_url(req))}


# -- tokens --------------------------------------------------------------------------------


def create_token(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``POST /v3/auth/tokens``: 201 with ``X-Subject-Token``.

    Errors: 400 malformed body or unsupported scope; 401 any authentication failure.
    """
    auth = schemas.validate_auth(body.read_json(req))
    result = authenticate.authenticate(svc.session, svc.signing_key, auth)
    token, info = authenticate.issue(svc.signing_key, svc.conf.token.expiration, result)
    resp.status = falcon.HTTP_201
    resp.set_header("X-Subject-Token", token)
    resp.media = _token_body(svc, req, info, result)


def _token_body(
    svc: Service, req: falcon.Request, info: tokens.TokenInfo, result: authenticate.AuthResult
) -> dict[str, Any]:
    project_id = result.project.id if result.project else None
    # keystonemiddleware asks for ?nocatalog when it only needs the identity.
    wanted = req.get_param("nocatalog") is None
    return views.token_body(
        info,
        methods=result.methods,
        user=result.user,
        project=result.project,
        roles=result.roles,
        catalog=catalog.build_catalog(svc.conf, project_id) if wanted else None,
    )


def _subject(svc: Service, req: falcon.Request) -> tuple[tokens.TokenInfo, authenticate.AuthResult]:
    """Check the caller's token, then the subject token; both come in headers.

    Raises:
        Unauthorized: the caller's token is missing or invalid (401).
        Invalid: no ``X-Subject-Token`` (400).
        NotFound: the subject token is forged, malformed, expired or its user disabled.
        Forbidden: the caller is neither an operator nor the subject's own user.
    """
    caller_token = req.get_header("X-Auth-Token")
    if not caller_token:
        raise exception.Unauthorized()
    caller = authenticate.validate_token(svc.signing_key, caller_token)
    subject_token = req.get_header("X-Subject-Token")
    if not subject_token:
        raise exception.Invalid("The X-Subject-Token header is required.")
    try:
        info = authenticate.validate_token(svc.signing_key, subject_token)
    except exception.InvalidToken as exc:
        raise exception.NotFound("Could not find token.") from exc
    if not (_OPERATOR_ROLES & set(caller.roles)) and caller.user_id != info.user_id:
        raise exception.Forbidden("Not allowed to validate tokens of other users.")
    with svc.session() as sess:
        result = authenticate.describe(sess, info)
    return info, result


def validate_token(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v3/auth/tokens``: 200 with the subject token's body; 404 when it is invalid."""
    info, result = _subject(svc, req)
    resp.set_header("X-Subject-Token", req.get_header("X-Subject-Token") or "")
    resp.media = _token_body(svc, req, info, result)


def check_token(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``HEAD /v3/auth/tokens``: 200 without a body; 404 when the subject is invalid."""
    _subject(svc, req)
    resp.status = falcon.HTTP_200


def revoke_token(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``DELETE /v3/auth/tokens``: 204.

    Tokens are stateless and checked locally by every service, so nothing is recorded:
    a token stays usable until it expires (``[token] expiration``). The call still checks
    both tokens, so clients see the same errors as from validation.
    """
    _subject(svc, req)
    resp.status = falcon.HTTP_204


# -- users, projects, roles ----------------------------------------------------------------


def _caller(req: falcon.Request) -> ctxlib.RequestContext:
    return wsgi_auth.request_context(req)


def _require_operator(ctx: ctxlib.RequestContext, action: str, allow: bool = False) -> None:
    # NOTE: these reads follow Keystone's defaults in spirit (operators see everything, a
    # user sees their own records); there is no separate identity policy file.
    if allow or _OPERATOR_ROLES & set(ctx.roles or []):
        return
    raise exception.Forbidden(f"Not allowed to perform identity:{action}.")


def _filters(req: falcon.Request) -> dict[str, str | None]:
    return {"name": req.get_param("name"), "domain_id": req.get_param("domain_id")}


def list_users(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v3/users``: operators only; filters ``name`` and ``domain_id``."""
    _require_operator(_caller(req), "list_users")
    with svc.session() as sess:
        users = identity.list_users(sess, **_filters(req))
    v3 = _v3(req)
    resp.media = views.collection("users", [views.user(v3, u) for u in users], f"{v3}/users")


def get_user(svc: Service, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
    """``GET /v3/users/{id}``: operators or the user themself; 404 when unknown."""
    ctx = _caller(req)
    _require_operator(ctx, "get_user", allow=ctx.user_id == user_id)
    with svc.session() as sess:
        user = identity.get_user(sess, user_id)
    if user is None:
        raise exception.NotFound(f"Could not find user: {user_id}.")
    resp.media = {"user": views.user(_v3(req), user)}


def list_user_projects(
    svc: Service, req: falcon.Request, resp: falcon.Response, user_id: str
) -> None:
    """``GET /v3/users/{id}/projects``: operators or the user themself."""
    ctx = _caller(req)
    _require_operator(ctx, "list_user_projects", allow=ctx.user_id == user_id)
    _write_projects(svc, req, resp, user_id, f"/users/{user_id}/projects")


def list_auth_projects(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v3/auth/projects``: the projects the caller holds a role on."""
    _write_projects(svc, req, resp, _caller(req).user_id or "", "/auth/projects")


def _write_projects(
    svc: Service, req: falcon.Request, resp: falcon.Response, user_id: str, path: str
) -> None:
    with svc.session() as sess:
        projects = identity.list_user_projects(sess, user_id)
    v3 = _v3(req)
    items = [views.project(v3, p) for p in projects]
    resp.media = views.collection("projects", items, v3 + path)


def list_projects(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v3/projects``: operators only; filters ``name`` and ``domain_id``."""
    _require_operator(_caller(req), "list_projects")
    with svc.session() as sess:
        projects = identity.list_projects(sess, **_filters(req))
    v3 = _v3(req)
    items = [views.project(v3, p) for p in projects]
    resp.media = views.collection("projects", items, f"{v3}/projects")


def get_project(svc: Service, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
    """``GET /v3/projects/{id}``: operators or a token scoped to it; 404 when unknown."""
    ctx = _caller(req)
    _require_operator(ctx, "get_project", allow=ctx.project_id == project_id)
    with svc.session() as sess:
        project = identity.get_project(sess, project_id)
    if project is None:
        raise exception.NotFound(f"Could not find project: {project_id}.")
    resp.media = {"project": views.project(_v3(req), project)}


def list_roles(svc: Service, req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v3/roles``: operators only; filter ``name``."""
    _require_operator(_caller(req), "list_roles")
    with svc.session() as sess:
        roles = identity.list_roles(sess, name=req.get_param("name"))
    v3 = _v3(req)
    resp.media = views.collection("roles", [views.role(v3, r) for r in roles], f"{v3}/roles")


def bind(svc: Service, fn: Callable[..., None]) -> Callable[..., None]:
    """``fn`` with the service filled in, as the route table wants it."""

    def handler(req: falcon.Request, resp: falcon.Response, **params: Any) -> None:
        fn(svc, req, resp, **params)

    handler.__name__ = getattr(fn, "__name__", "handler")
    handler.__doc__ = fn.__doc__
    return handler
