"""Token validation and request ids as Falcon middleware."""

import re
from collections.abc import Sequence
from typing import Any

import falcon

from cirrus import context as ctxlib
from cirrus import exception
from cirrus.identity import tokens
from cirrus.log import REQUEST_ID

_REQ_ID = re.compile(r"^req-[0-9a-f-]{36}$")


class RequestIdMiddleware:
    """Give every request an id and return it in the headers clients read."""

    def __init__(self, header_names: Sequence[str] = ("x-openstack-request-id",)) -> None:
        self._headers = tuple(header_names)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Assign the request id before anything else runs."""
        del resp
        req.context["request_id"] = ctxlib.new_request_id()
        REQUEST_ID.set(str(req.context["request_id"]))
        incoming = req.get_header("X-OpenStack-Request-ID")
        req.context["global_request_id"] = (
            incoming if incoming and _REQ_ID.match(incoming) else None
        )

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, succeeded: bool
    ) -> None:
        """Echo the request id on every response, errors included."""
        del resource, succeeded
        REQUEST_ID.set("-")
        rid = req.context.get("request_id")
        if rid:
            for name in self._headers:
                resp.set_header(name, rid)


class TokenAuthMiddleware:
    """Validate X-Auth-Token and build the request context; public paths need none.

    Args:
        signing_key: the shared key tokens are signed with.
        identity_uri: advertised in WWW-Authenticate on a 401.
        public: path regexes that are served without a token (version documents).
    """

    def __init__(self, signing_key: str, identity_uri: str, public: Sequence[str]) -> None:
        self._key = signing_key
        self._identity_uri = identity_uri
        self._public = [re.compile(p) for p in public]

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Reject unauthenticated requests with a Keystone-style 401."""
        del resp
        req.context["identity_uri"] = self._identity_uri
        if any(p.match(req.path) for p in self._public):
            req.context["ctx"] = None
            return
        token = req.get_header("X-Auth-Token")
        if not token:
            raise exception.Unauthorized()
        info = tokens.validate(self._key, token)
        req.context["token"] = info
        req.context["ctx"] = ctxlib.RequestContext(
            user_id=info.user_id, project_id=info.project_id, user_name=info.user_name,
            project_name=info.project_name, roles=list(_implied(info.roles)),
            is_admin="admin" in info.roles, request_id=req.context["request_id"],
            global_request_id=req.context.get("global_request_id"),
        )


def _implied(roles: Sequence[str]) -> set[str]:
    # Keystone's default implied roles: admin implies manager implies member implies reader.
    chain = ["admin", "manager", "member", "reader"]
    out = set(roles)
    for i, role in enumerate(chain):
        if role in out:
            out.update(chain[i + 1 :])
    return out


def request_context(req: falcon.Request) -> ctxlib.RequestContext:
    """The authenticated context of a request."""
    ctx = req.context.get("ctx")
    if ctx is None:
        raise exception.Unauthorized()
    return ctx  # type: ignore[no-any-return]
