"""Make Placement answer chosen requests with an error, for tests.

``PlacementFaults`` wraps ``PlacementClient.request`` (the client's single HTTP entry
point) of one client object: while it is active, a request that matches a rule gets a
synthesized response instead of reaching Placement. The default answer is the 409 that
Placement gives when a consumer's generation changed under the writer
(``placement.concurrent_update``), which the client retries a few times. Every request
that passes through the wrapper is also recorded, so a test can tell which calls a step
made.

Example::

    with PlacementFaults(runtime.placement) as faults:
        rule = faults.conflict("POST", "/allocations", times=1)
        ...  # the first POST /allocations gets a 409, later ones reach Placement
    assert rule.hits == 1
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import httpx

from cirrus.placement_client.client import VERSION, PlacementClient

CONCURRENT_UPDATE = "placement.concurrent_update"

BodyMatcher = Callable[[Any], bool]


def conflict_body(detail: str = "consumer generation conflict") -> dict[str, Any]:
    """The error body Placement sends for a lost consumer-generation race."""
    return {"errors": [{"status": 409, "code": CONCURRENT_UPDATE, "title": "Conflict",
                        "detail": detail}]}


def error_body(status: int, detail: str = "injected failure") -> dict[str, Any]:
    """A Placement-style error body for any other status."""
    return {"errors": [{"status": status, "title": httpx.codes.get_reason_phrase(status),
                        "detail": detail}]}


def consumers_are(*uuids: str) -> BodyMatcher:
    """Match a ``POST /allocations`` body that writes exactly these consumers."""
    wanted = frozenset(uuids)

    def _match(body: Any) -> bool:
        return isinstance(body, Mapping) and frozenset(body) == wanted

    return _match


def writes_consumer(uuid: str) -> BodyMatcher:
    """Match a ``POST /allocations`` body that writes (among others) this consumer."""
    def _match(body: Any) -> bool:
        return isinstance(body, Mapping) and uuid in body

    return _match


def empties(uuid: str) -> BodyMatcher:
    """Match a ``POST /allocations`` body that moves this consumer's allocations away
    (it is written with no allocations while another consumer gets some)."""
    def _match(body: Any) -> bool:
        if not isinstance(body, Mapping) or uuid not in body or len(body) < 2:
            return False
        return not body[uuid].get("allocations")

    return _match


@dataclasses.dataclass
class Rule:
    """Which requests to answer, how often and with what.

    Attributes:
        method: HTTP method, compared case-insensitively.
        path: a prefix of the request path (``/allocations/<uuid>``).
        times: how many matching requests get the answer; None means every one.
        status: the status code of the answer.
        body: the JSON body of the answer.
        match: an extra test on the request body (see ``consumers_are``).
        hits: how many requests were answered so far.
    """

    method: str
    path: str
    times: int | None
    status: int
    body: dict[str, Any]
    match: BodyMatcher | None = None
    hits: int = 0

    def wants(self, method: str, path: str, body: Any) -> bool:
        """Whether this rule answers the request (and still has answers left)."""
        if self.times is not None and self.hits >= self.times:
            return False
        if method.upper() != self.method.upper() or not path.startswith(self.path):
            return False
        return self.match is None or self.match(body)

    @property
    def exhausted(self) -> bool:
        """All ``times`` answers were given (never for an unlimited rule)."""
        return self.times is not None and self.hits >= self.times


@dataclasses.dataclass(frozen=True)
class Call:
    """One request that went through the wrapper."""

    method: str
    path: str
    body: Any
    answered: int | None
    """The status of the injected answer, None when Placement answered."""


class PlacementFaults:
    """Context manager that injects Placement errors into one ``PlacementClient``.

    The client's ``request`` is replaced by an instance attribute on entry; on exit the
    attribute is removed again (or the previous one put back), so the class method is in
    charge once more. Rules may be added before or while the context is active; the first
    rule that wants a request answers it.

    Args:
        client: the client to patch (``runtime.placement``).
    """

    def __init__(self, client: PlacementClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._calls: list[Call] = []
        self._saved: Any = None
        self._had_own = False
        self._active = False

    # -- rules -------------------------------------------------------------------------

    def add(self, method: str, path: str, *, times: int | None = 1, status: int = 409,
            body: dict[str, Any] | None = None, match: BodyMatcher | None = None) -> Rule:
        """Answer ``times`` matching requests (None: all) with ``status`` and ``body``."""
        if body is None:
            body = conflict_body() if status == 409 else error_body(status)
        rule = Rule(method, path, times, status, body, match)
        with self._lock:
            self._rules.append(rule)
        return rule

    def conflict(self, method: str, path: str, *, times: int | None = 1,
                 match: BodyMatcher | None = None) -> Rule:
        """Answer matching requests with a consumer-generation conflict."""
        return self.add(method, path, times=times, match=match)

    def clear(self) -> None:
        """Forget every rule (the recorded calls are kept)."""
        with self._lock:
            self._rules.clear()

    # -- what happened -----------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request seen while active, in order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, path: str) -> list[Call]:
        """The recorded requests with this method and path prefix."""
        return [c for c in self.calls
                if c.method.upper() == method.upper() and c.path.startswith(path)]

    # -- patching ----------------------------------------------------------------------

    def _answer(self, method: str, path: str, body: Any) -> Rule | None:
        with self._lock:
            rule = next((r for r in self._rules if r.wants(method, path, body)), None)
            if rule is not None:
                rule.hits += 1
            self._calls.append(Call(method.upper(), path, body,
                                    rule.status if rule is not None else None))
            return rule

    def _make_request(self, original: Callable[..., httpx.Response]
                      ) -> Callable[..., httpx.Response]:
        def request(method: str, path: str, body: Any = None,
                    params: Mapping[str, Any] | None = None,
                    version: str = VERSION) -> httpx.Response:
            rule = self._answer(method, path, body)
            if rule is None:
                return original(method, path, body, params, version)
            return httpx.Response(rule.status, json=rule.body,
                                  request=httpx.Request(method.upper(), path))

        return request

    def __enter__(self) -> PlacementFaults:
        if self._active:
            raise RuntimeError("PlacementFaults is already active")
        instance_attrs = vars(self._client)
        self._had_own = "request" in instance_attrs
        self._saved = instance_attrs.get("request")
        original = self._client.request  # the bound method, or an earlier wrapper
        self._client.request = self._make_request(original)  # type: ignore[method-assign]
        self._active = True
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._had_own:
            self._client.request = self._saved  # type: ignore[method-assign]
        else:
            del self._client.request
        self._active = False
