"""Explicit call/cast with timeouts and version caps; every rpcapi module builds on this."""

import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus.context import RequestContext
from cirrus.objects.cell_mapping import CellMapping
from cirrus.rpc.serializer import ContextSerializer
from cirrus.rpc.transport import TransportRegistry, topic_for


class RPCClient:
    """A client for one service topic on one transport.

    Args:
        transports: the process's transport registry.
        url: the transport URL (top-level or a cell's).
        topic: Nova's topic name (``conductor``, ``scheduler``, ``compute``).
        version: the base RPC API version of the service.
        version_cap: the ``[upgrade_levels]`` cap, or None.
        timeout: default seconds for calls (``rpc_response_timeout``).
    """

    def __init__(
        self,
        transports: TransportRegistry,
        url: str,
        topic: str,
        version: str,
        version_cap: str | None,
        timeout: int,
    ) -> None:
        self.url = url
        self.topic = topic_for(url, topic)
        target = messaging.Target(topic=self.topic, version=version)
        self._client = messaging.get_rpc_client(
            transports.rpc(url), target, version_cap=version_cap,
            serializer=ContextSerializer(), timeout=timeout,
        )

    def can_send_version(self, version: str) -> bool:
        """Whether the version cap admits ``version``."""
        return bool(self._client.can_send_version(version))

    def call(
        self,
        ctx: RequestContext,
        method: str,
        *,
        server: str | None = None,
        version: str | None = None,
        timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Synchronous call; raises MessagingTimeout after ``timeout`` seconds."""
        return self._prepare(server, version, timeout).call(ctx, method, **kwargs)

    def cast(
        self,
        ctx: RequestContext,
        method: str,
        *,
        server: str | None = None,
        version: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Fire and forget."""
        self._prepare(server, version, None).cast(ctx, method, **kwargs)

    def _prepare(self, server: str | None, version: str | None, timeout: int | None) -> Any:
        opts: dict[str, Any] = {}
        if server is not None:
            opts["server"] = server
        if version is not None:
            opts["version"] = version
        if timeout is not None:
            opts["timeout"] = timeout
        return self._client.prepare(**opts) if opts else self._client


class PerCellClients:
    """One RPCClient per cell for a service topic, built on first use.

    Args:
        transports: the process's transport registry.
        topic: Nova's topic name.
        version: the base RPC API version of the service.
        version_cap: the ``[upgrade_levels]`` cap, or None.
        timeout: default seconds for calls.
    """

    def __init__(self, transports: TransportRegistry, topic: str, version: str,
                 version_cap: str | None, timeout: int) -> None:
        self._args = (topic, version, version_cap, timeout)
        self._transports = transports
        self._clients: dict[str, RPCClient] = {}

    def get(self, cell: CellMapping) -> RPCClient:
        """The client on ``cell``'s transport."""
        if cell.uuid not in self._clients:
            self._clients[cell.uuid] = RPCClient(self._transports, cell.transport_url,
                                                 *self._args)
        return self._clients[cell.uuid]
