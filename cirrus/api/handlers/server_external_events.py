"""/os-server-external-events: notifications from the network, volume and other services.

Each event is answered on its own (200 accepted, 400 missing tag, 404 unknown server,
422 server not on a host yet); the response is 207 when any of them failed.
"""

import logging
from typing import Any

import falcon

from cirrus import exception
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.schemas import server_external_events as schemas
from cirrus.api.schemas.validation import validate, validator
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.policy.rules import compute as rules
from cirrus.wsgi.body import read_json

LOG = logging.getLogger(__name__)

_CREATE = [((2, 82), validator(schemas.CREATE_V2_82)), ((2, 76), validator(schemas.CREATE_V2_76)),
           ((2, 51), validator(schemas.CREATE_V2_51)), ((2, 1), validator(schemas.CREATE_V2_1))]

# uuid -> host (None while it has none)
Hosts = dict[str, str | None]


def _hosts(state: APIState, uuids: set[str]) -> Hosts:
    """Where each known server is; servers still in a build request have no host."""
    by_cell: dict[int, list[str]] = {}
    found: Hosts = {}
    with state.runtime.api_session() as s:
        for uuid in uuids:
            try:
                mapping = im_obj.get(s, uuid)
            except exception.InstanceMappingNotFound:
                continue
            if mapping.cell_id is None:
                found[uuid] = None
            else:
                by_cell.setdefault(mapping.cell_id, []).append(uuid)
    for cell_id, members in by_cell.items():
        cell = state.runtime.cell_by_id(cell_id)
        with state.runtime.cell_session(cell) as s:
            for inst in instance_obj.get_all(s, instance_obj.Filters(uuids=tuple(members))):
                found[inst.uuid] = inst.host
    return found


def _answer(event: dict[str, Any], hosts: Hosts) -> bool:
    """Set the event's status and code; True when it was accepted."""
    uuid = event["server_uuid"]
    if uuid not in hosts:
        event.update(status="failed", code=404)
        return False
    if event["name"] in schemas.TAG_REQUIRED and event.get("tag") is None:
        event.update(status="failed", code=400)
        return False
    host = hosts[uuid]
    if not host:
        event.update(status="failed", code=422)
        return False
    # NOTE: the event is recorded here (logged); delivering it to the compute comes with
    # the handlers that wait for it.
    LOG.info("Creating event %s:%s for instance %s on %s", event["name"], event.get("tag"),
             uuid, host)
    event.update(status="completed", code=200)
    return True


def create_events(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """POST /os-server-external-events: 200 when all were accepted, 207 otherwise."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.EXTERNAL_EVENTS, {})
    version = version_of(req)
    body = read_json(req)
    validate(next(v for lo, v in _CREATE if version.matches(lo)), body)
    events: list[dict[str, Any]] = body["events"]
    hosts = _hosts(state, {e["server_uuid"] for e in events})
    results = [_answer(event, hosts) for event in events]
    resp.status = falcon.HTTP_200 if all(results) else falcon.HTTP_207
    resp.media = {"events": events}
