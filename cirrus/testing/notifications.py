"""Collect versioned notifications sent on in-process transports."""

import threading
import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus.notifications.notifier import TOPIC
from cirrus.rpc import inproc
from cirrus.rpc.transport import TransportRegistry, topic_for
from cirrus.testing.waiters import wait_for


class NotificationCollector:
    """Listens on every given transport and keeps what arrives."""

    def __init__(self, transports: TransportRegistry, urls: list[str]) -> None:
        self._lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self._listeners = []
        for url in urls:
            listener = messaging.get_notification_listener(
                transports.notification(url), [messaging.Target(topic=topic_for(url, TOPIC))],
                [self], executor="threading", allow_requeue=False)
            listener.start()
            self._listeners.append(listener)

    def _record(self, priority: str, publisher_id: str, event_type: str,
                payload: dict[str, Any]) -> None:
        with self._lock:
            self.received.append({"priority": priority, "publisher_id": publisher_id,
                                  "event_type": event_type, "payload": payload})

    def info(self, ctxt: Any, publisher_id: str, event_type: str, payload: Any,
             metadata: Any) -> None:
        """INFO notifications."""
        del ctxt, metadata
        self._record("INFO", publisher_id, event_type, payload)

    def error(self, ctxt: Any, publisher_id: str, event_type: str, payload: Any,
              metadata: Any) -> None:
        """ERROR notifications."""
        del ctxt, metadata
        self._record("ERROR", publisher_id, event_type, payload)

    def of(self, uuid: str) -> list[dict[str, Any]]:
        """Notifications about server ``uuid``, in arrival order."""
        with self._lock:
            return [n for n in self.received
                    if n["payload"].get("nova_object.data", {}).get("uuid") == uuid
                    or n["payload"].get("nova_object.data", {}).get("instance_uuid") == uuid]

    def wait_for(self, uuid: str, event_type: str, timeout: float = 10.0) -> dict[str, Any]:
        """The first ``event_type`` notification about ``uuid``."""
        def _find() -> dict[str, Any] | None:
            return next((n for n in self.of(uuid) if n["event_type"] == event_type), None)

        return wait_for(_find, timeout, what=f"{event_type} for {uuid}")

    def stop(self) -> None:
        """Stop listening."""
        with inproc.hurry():
            for listener in self._listeners:
                listener.stop()
                listener.wait()
