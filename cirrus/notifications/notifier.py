"""Emit versioned notifications on a transport, with the publisher naming service and host."""

import logging
import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus.context import RequestContext
from cirrus.rpc.serializer import ContextSerializer
from cirrus.rpc.transport import TransportRegistry, topic_for

LOG = logging.getLogger(__name__)

TOPIC = "versioned_notifications"
PAYLOAD_VERSION = "1.0"


class Notifier:
    """Sends ``<object>.<action>.<phase>`` notifications for one service on one host.

    Args:
        transports: the process's transport registry.
        url: the transport to send on (the cell's for cell services).
        binary: the service name, e.g. ``cirrus-compute``.
        host: the service's host.
    """

    def __init__(self, transports: TransportRegistry, url: str, binary: str, host: str) -> None:
        self.publisher_id = f"{binary}:{host}"
        self._notifier = messaging.Notifier(
            transports.notification(url), publisher_id=self.publisher_id,
            topics=[topic_for(url, TOPIC)], serializer=ContextSerializer(),
        )

    def emit(self, ctx: RequestContext, event_type: str, payload_name: str,
             payload: dict[str, Any], *, error: bool = False) -> None:
        """Send one notification; a failure to notify is logged, never raised."""
        body = {
            "nova_object.name": payload_name,
            "nova_object.namespace": "nova",
            "nova_object.version": PAYLOAD_VERSION,
            "nova_object.data": payload,
        }
        try:
            if error:
                self._notifier.error(ctx, event_type, body)
            else:
                self._notifier.info(ctx, event_type, body)
        except Exception:
            LOG.exception("Failed to send notification %s", event_type)


def instance_payload(instance: Any, **extra: Any) -> dict[str, Any]:
    """The InstanceActionPayload fields Cirrus fills for a server."""
    flavor = instance.flavor
    data = {
        "uuid": instance.uuid,
        "display_name": instance.display_name,
        "tenant_id": instance.project_id,
        "user_id": instance.user_id,
        "host": instance.host,
        "node": instance.node,
        "state": instance.vm_state,
        "task_state": instance.task_state,
        "power_state": instance.power_state,
        "availability_zone": instance.availability_zone,
        "image_uuid": instance.image_ref,
        "flavor": {
            "flavorid": flavor.flavorid, "name": flavor.name, "memory_mb": flavor.memory_mb,
            "vcpus": flavor.vcpus, "root_gb": flavor.root_gb,
            "ephemeral_gb": flavor.ephemeral_gb, "swap": flavor.swap,
        } if flavor else None,
    }
    data.update(extra)
    return data
