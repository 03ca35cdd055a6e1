"""Request context: who is asking, under which request id, and which cell is targeted."""

import copy
import dataclasses
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from typing import Any, TypeVar

from oslo_context import context as oslo_context

from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.plain import as_dict

T = TypeVar("T")


def new_request_id() -> str:
    """A request id in the ``req-<uuid>`` form clients expect."""
    return f"req-{uuid.uuid4()}"


class RequestContext(oslo_context.RequestContext):  # type: ignore[misc]
    """oslo.context's context plus the targeted cell and the user and project names."""

    def __init__(self, *, cell: CellMapping | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("request_id", new_request_id())
        super().__init__(**kwargs)
        self.cell = cell

    @property
    def is_admin_role(self) -> bool:
        """Whether the caller holds the admin role."""
        return "admin" in (self.roles or [])

    def to_dict(self) -> dict[str, Any]:
        """Serializable form for RPC (the targeted cell travels with the call)."""
        values: dict[str, Any] = super().to_dict()
        values["cell"] = as_dict(self.cell) if self.cell else None
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any], **kwargs: Any) -> "RequestContext":
        """Rebuild a context sent over RPC."""
        cell = values.get("cell")
        return cls(
            cell=CellMapping(**cell) if cell else None,
            user_id=values.get("user"),
            project_id=values.get("project_id") or values.get("tenant"),
            user_name=values.get("user_name"),
            project_name=values.get("project_name"),
            roles=values.get("roles") or [],
            is_admin=values.get("is_admin", False),
            request_id=values.get("request_id"),
            global_request_id=values.get("global_request_id"),
            **kwargs,
        )

    def elevated(self) -> "RequestContext":
        """A copy with admin rights, for internal calls made on the user's behalf."""
        ctx = copy.copy(self)
        ctx.is_admin = True
        ctx.roles = sorted({*(self.roles or []), "admin"})
        return ctx


def get_admin_context(request_id: str | None = None) -> RequestContext:
    """A context for periodic tasks and service start-up."""
    return RequestContext(
        user_id=None, project_id=None, is_admin=True, roles=["admin"],
        request_id=request_id or new_request_id(),
    )


@contextmanager
def target_cell(ctx: RequestContext, cell: CellMapping | None) -> Iterator[RequestContext]:
    """Yield a copy of ``ctx`` aimed at ``cell``; the original stays untouched."""
    cctx = copy.copy(ctx)
    cctx.cell = cell
    yield cctx


@dataclasses.dataclass(frozen=True)
class CellFailure:
    """Sentinel for a cell that raised or did not answer in a scatter-gather."""

    cell_uuid: str
    error: BaseException | None


_did_not_respond = object()


def scatter_gather(
    ctx: RequestContext,
    cells: Sequence[CellMapping],
    timeout: float,
    fn: Callable[[RequestContext], T],
    pool: futures.ThreadPoolExecutor,
) -> dict[str, T | CellFailure]:
    """Run ``fn`` against every cell in parallel; a slow or failing cell gives a CellFailure.

    Args:
        ctx: the request context; each call gets a copy targeted at its cell.
        cells: the cells to ask.
        timeout: seconds to wait for all of them together.
        fn: called with the targeted context.
        pool: threads to run the calls on.

    Returns:
        Results keyed by cell uuid.
    """

    def _run(cell: CellMapping) -> T:
        with target_cell(ctx, cell) as cctx:
            return fn(cctx)

    pending = {pool.submit(_run, cell): cell for cell in cells}
    results: dict[str, T | CellFailure] = {}
    done, not_done = futures.wait(pending, timeout=timeout)
    for fut in done:
        cell = pending[fut]
        err = fut.exception()
        results[cell.uuid] = CellFailure(cell.uuid, err) if err else fut.result()
    for fut in not_done:
        fut.cancel()
        results[pending[fut].uuid] = CellFailure(pending[fut].uuid, None)
    return results
