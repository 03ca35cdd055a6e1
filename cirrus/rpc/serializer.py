"""Carries the request context across RPC; payloads are plain JSON-ready values."""

import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus.context import RequestContext
from cirrus.log import REQUEST_ID


class ContextSerializer(messaging.NoOpSerializer):  # type: ignore[misc]
    """Serialize our RequestContext (request id, user, project, roles, targeted cell)."""

    def serialize_context(self, ctxt: Any) -> dict[str, Any]:
        """Context to dict."""
        if isinstance(ctxt, RequestContext):
            return ctxt.to_dict()
        return dict(ctxt or {})

    def deserialize_context(self, ctxt: dict[str, Any]) -> RequestContext:
        """Dict to context; the request id then tags this thread's log lines."""
        context = RequestContext.from_dict(ctxt)
        REQUEST_ID.set(context.request_id)
        return context
