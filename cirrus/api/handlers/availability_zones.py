"""/os-availability-zone: zones and (for administrators) the services in each.

A zone exists while some service is in it: computes take their zone from aggregate
metadata or the default zone, every other service is in the ``internal`` zone.
"""

import falcon

from cirrus.api.common import APIState, ctx_of
from cirrus.api.ops import hosts
from cirrus.api.views import availability_zones as views
from cirrus.context import RequestContext
from cirrus.objects.service import Service
from cirrus.policy.rules import compute as rules


def _zoned(state: APIState, ctx: RequestContext) -> list[tuple[str, Service]]:
    zones = hosts.host_zones(state)
    default = state.runtime.conf.default_availability_zone
    return [(hosts.zone_of(svc, zones, default), svc)
            for _, svc in hosts.services(state, ctx).items]


def _split(zoned: list[tuple[str, Service]]) -> tuple[list[str], list[str]]:
    """Zones with an enabled service, then zones whose services are all disabled."""
    available = sorted({z for z, svc in zoned if not svc.disabled})
    unavailable = sorted({z for z, svc in zoned if svc.disabled} - set(available))
    return available, unavailable


def list_zones(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /os-availability-zone: names and availability; ``internal`` is hidden."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.AZ_LIST, {})
    available, unavailable = _split(_zoned(state, ctx))
    items = [views.zone(z, True) for z in available if z != hosts.INTERNAL_ZONE]
    items += [views.zone(z, False) for z in unavailable if z != hosts.INTERNAL_ZONE]
    resp.media = {"availabilityZoneInfo": items}


def list_zones_detail(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /os-availability-zone/detail: enabled services per host of each zone."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.AZ_DETAIL, {})
    zoned = _zoned(state, ctx)
    available, unavailable = _split(zoned)
    down_time = state.runtime.conf.service_down_time
    members: dict[str, dict[str, list[tuple[Service, bool]]]] = {}
    for zone, svc in zoned:
        if not svc.disabled:
            members.setdefault(zone, {}).setdefault(svc.host, []).append(
                (svc, svc.is_up(down_time)))
    items = [views.zone(z, True, members.get(z, {})) for z in available]
    items += [views.zone(z, False) for z in unavailable]
    resp.media = {"availabilityZoneInfo": items}
