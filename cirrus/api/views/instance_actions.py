"""Instance action bodies by microversion: updated_at (2.58), event host/hostId (2.62),
event details (2.84)."""

import dataclasses
from typing import Any

from cirrus.api.microversion import Version
from cirrus.api.views.servers import host_id
from cirrus.api.views.timeutils import rawtime
from cirrus.objects.instance_action import Action, Event


@dataclasses.dataclass(frozen=True)
class EventOptions:
    """Which event fields the caller may see, decided once per request."""

    traceback: bool = False
    host: bool = False
    host_id: bool = False
    details: bool = False


def action(act: Action, version: Version) -> dict[str, Any]:
    """One action (list item, or the head of the show body)."""
    body: dict[str, Any] = {
        "action": act.action, "instance_uuid": act.instance_uuid,
        "request_id": act.request_id, "user_id": act.user_id, "project_id": act.project_id,
        "start_time": rawtime(act.start_time), "message": act.message,
    }
    if version.matches((2, 58)):
        body["updated_at"] = rawtime(act.updated_at)
    return body


def event(evt: Event, project_id: str | None, opts: EventOptions) -> dict[str, Any]:
    """One event; ``project_id`` salts the hashed hostId."""
    body: dict[str, Any] = {"event": evt.event, "start_time": rawtime(evt.start_time),
                            "finish_time": rawtime(evt.finish_time), "result": evt.result}
    if opts.traceback:
        body["traceback"] = evt.traceback
    if opts.host:
        body["host"] = evt.host
    if opts.host_id:
        body["hostId"] = host_id(project_id, evt.host)
    if opts.details:
        body["details"] = evt.details
    return body
