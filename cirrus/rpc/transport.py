"""Transports by URL, and topic names that keep cells apart on in-process transports."""

import threading
import warnings
from urllib.parse import urlsplit

from oslo_config import cfg

from cirrus.rpc import inproc

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging
    from oslo_messaging._metrics.client import oslo_messaging_metrics
    from oslo_messaging._tracing.client import oslo_messaging_tracing

IN_PROCESS_SCHEMES = ("kombu+memory", "memory", "kombu+inproc")
# Exceptions of these modules cross RPC as themselves, not as RemoteError.
_REMOTE_EXMODS = ["cirrus.exception", "cirrus.placement_client.client"]


inproc.register()


def register_messaging_opts(conf: cfg.ConfigOpts) -> None:
    """Register what oslo.messaging only registers on its global config.

    NOTE: oslo.messaging registers its tracing and metrics groups on cfg.CONF alone, so
    every call through a private ConfigOpts would raise NoSuchOptError without this.
    """
    for group, opts in (
        ("oslo_messaging_tracing", oslo_messaging_tracing),
        ("oslo_messaging_metrics", oslo_messaging_metrics),
    ):
        conf.register_opts(opts, group=group)


def is_in_process(url: str) -> bool:
    """Whether ``url`` names a transport whose state is shared by the whole process."""
    return urlsplit(url).scheme in IN_PROCESS_SCHEMES


def topic_for(url: str, base: str) -> str:
    """The topic ``base`` on the transport at ``url``.

    In-process transports ignore the virtual host, so every "cell" would share one set of
    queues; prefixing the topic with the virtual host restores the separation RabbitMQ
    vhosts give in a real deployment. Real brokers keep Nova's plain topic names.
    """
    if not is_in_process(url):
        return base
    vhost = urlsplit(url).path.strip("/") or "top"
    return f"{vhost}.{base}"


class TransportRegistry:
    """RPC and notification transports, one of each per URL, created on first use."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        register_messaging_opts(conf)
        self._lock = threading.Lock()
        self._rpc: dict[str, messaging.Transport] = {}
        self._notify: dict[str, messaging.Transport] = {}

    @property
    def conf(self) -> cfg.ConfigOpts:
        """The configuration transports are built with."""
        return self._conf

    def rpc(self, url: str) -> messaging.Transport:
        """The RPC transport for ``url``."""
        with self._lock:
            if url not in self._rpc:
                self._rpc[url] = messaging.get_rpc_transport(
                    self._conf, url=url, allowed_remote_exmods=_REMOTE_EXMODS)
            return self._rpc[url]

    def notification(self, url: str) -> messaging.Transport:
        """The notification transport for ``url``."""
        with self._lock:
            if url not in self._notify:
                self._notify[url] = messaging.get_notification_transport(self._conf, url=url)
            return self._notify[url]

    def cleanup(self) -> None:
        """Close every transport."""
        with self._lock, inproc.hurry():
            for transport in [*self._rpc.values(), *self._notify.values()]:
                transport.cleanup()
            self._rpc.clear()
            self._notify.clear()
