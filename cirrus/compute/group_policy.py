"""The late server-group check: a compute refuses a server its group's hard policy forbids.

The scheduler already filters on the group, but two schedulers (or two requests placed
from stale views) can send members of an anti-affinity group to one host at the same
time. Each host therefore checks again while the server takes the host, under a lock
per group, so of two such members exactly the first one stays; the other is
rescheduled. Nova checks at boot and at a resize's claim; Cirrus also checks at the
destination of a cross-cell move, where Nova does not.

Where members are: the host in the row of the cell their instance mapping names (a
server half-way through a cross-cell move counts where its mapping is), plus the
servers that a move in progress is bringing to this host.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from cirrus import exception
from cirrus.db.cell import models
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_group as ig_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.states import MIGRATION_DONE
from cirrus.runtime import Runtime
from cirrus.scheduler.filters.server_group_filter import (
    AFFINITY,
    ANTI_AFFINITY,
    max_server_per_host,
)


class GroupPolicy:
    """The check for one host."""

    def __init__(self, runtime: Runtime, cell: CellMapping, host: str) -> None:
        self._runtime = runtime
        self._cell = cell
        self._host = host
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _lock(self, group_uuid: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(group_uuid, threading.Lock())

    @contextmanager
    def placing(self, instance_uuid: str) -> Iterator[None]:
        """Check the server's group, and hold it while the caller records this host.

        Raises:
            RescheduledException: this host breaks the group's affinity or anti-affinity.
        """
        group = self._group(instance_uuid)
        if group is None:
            yield
            return
        with self._lock(group.uuid):
            self._check(group, instance_uuid)
            yield

    def _group(self, instance_uuid: str) -> ig_obj.ServerGroup | None:
        if self._runtime.conf.workarounds.disable_group_policy_check_upcall:
            return None
        with self._runtime.api_reader() as s:
            for uuid in ig_obj.uuids_of(s, instance_uuid):
                try:
                    group = ig_obj.get(s, uuid)
                except exception.InstanceGroupNotFound:
                    continue
                if group.policy in (AFFINITY, ANTI_AFFINITY):
                    return group
        return None

    def _check(self, group: ig_obj.ServerGroup, instance_uuid: str) -> None:
        others = [m for m in group.members if m != instance_uuid]
        here, elsewhere = self._where(others)
        if group.policy == ANTI_AFFINITY and len(here) >= max_server_per_host(group.rules):
            raise exception.RescheduledException(
                instance_uuid=instance_uuid,
                reason="Anti-affinity instance group policy was violated.")
        if group.policy == AFFINITY and elsewhere:
            raise exception.RescheduledException(
                instance_uuid=instance_uuid,
                reason="Affinity instance group policy was violated.")

    def _where(self, members: list[str]) -> tuple[set[str], set[str]]:
        """(members on or coming to this host, members placed on another host)."""
        if not members:
            return set(), set()
        with self._runtime.api_reader() as s:
            mappings = [m for m in im_obj.get_many(s, members) if not m.queued_for_delete]
        elsewhere = {m.instance_uuid for m in mappings
                     if m.cell_id is not None and m.cell_id != self._cell.id}
        local = [m.instance_uuid for m in mappings if m.cell_id == self._cell.id]
        if not local:
            return set(), elsewhere
        mig = models.Migration
        with self._runtime.cell_reader(self._cell) as s:
            hosts = {u: h for u, h in instance_obj.hosts_of(s, local).items() if h}
            coming = {str(u) for u in s.scalars(select(mig.instance_uuid).where(
                mig.instance_uuid.in_(local), mig.dest_compute == self._host,
                mig.deleted == 0,
                mig.status.not_in([str(st) for st in MIGRATION_DONE])))}
        here = {u for u, h in hosts.items() if h == self._host} | coming
        elsewhere |= {u for u, h in hosts.items() if h != self._host} - coming
        return here, elsewhere
