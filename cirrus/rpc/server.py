"""RPC servers: a service's endpoints listening on its topic."""

import warnings
from collections.abc import Sequence

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging
    from oslo_messaging.rpc import dispatcher

from cirrus.rpc.serializer import ContextSerializer
from cirrus.rpc.transport import TransportRegistry, topic_for


def get_server(
    transports: TransportRegistry,
    url: str,
    topic: str,
    host: str,
    endpoints: Sequence[object],
) -> messaging.MessageHandlingServer:
    """An RPC server (not started) for ``endpoints`` on ``topic`` at ``host``."""
    target = messaging.Target(topic=topic_for(url, topic), server=host)
    return messaging.get_rpc_server(
        transports.rpc(url), target, list(endpoints), executor="threading",
        serializer=ContextSerializer(),
        access_policy=dispatcher.DefaultRPCAccessPolicy,
    )
