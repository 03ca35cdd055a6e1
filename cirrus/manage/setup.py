"""Database sync, cells, host discovery and default flavors."""

import logging

from sqlalchemy import select, update

from cirrus.db import migration
from cirrus.db.cell import models as cell_models
from cirrus.db.engine import EngineRegistry
from cirrus.objects import cell_mapping, flavor, host_mapping
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec

LOG = logging.getLogger(__name__)

# Nova's classic flavors: id, name, MB of RAM, vCPUs, GB of root disk.
CLASSIC_FLAVORS = [
    ("1", "m1.tiny", 512, 1, 1),
    ("2", "m1.small", 2048, 1, 20),
    ("3", "m1.medium", 4096, 2, 40),
    ("4", "m1.large", 8192, 4, 80),
    ("5", "m1.xlarge", 16384, 8, 160),
]


def sync(engines: EngineRegistry, schema: str, url: str) -> str | None:
    """Bring one database of kind ``schema`` (api, cell, services) to the newest revision."""
    engine = engines.engine(url)
    migration.upgrade(schema, engine)
    return migration.current(schema, engine)


def ensure_cell0(engines: EngineRegistry, api_url: str, db_url: str) -> CellMapping:
    """Create cell0 (database only, no transport) unless it exists."""
    with engines.session(api_url) as s:
        for cell in cell_mapping.get_all(s):
            if cell.is_cell0:
                return cell
        cell = cell_mapping.create(s, "cell0", "none:///", db_url, uuid=cell_mapping.CELL0_UUID)
    sync(engines, "cell", db_url)
    return cell


def create_cell(engines: EngineRegistry, api_url: str, name: str, transport_url: str,
                db_url: str) -> CellMapping:
    """Map a new cell and sync its database; an existing cell of that name is returned."""
    with engines.session(api_url) as s:
        existing = cell_mapping.get_by_name(s, name)
        if existing is not None:
            return existing
        cell = cell_mapping.create(s, name, transport_url, db_url)
    sync(engines, "cell", db_url)
    LOG.info("Cell %s created (%s)", name, cell.uuid)
    return cell


def discover_hosts(engines: EngineRegistry, api_url: str) -> list[tuple[str, str]]:
    """Map every compute host not yet mapped to its cell; returns (host, cell name)."""
    with engines.session(api_url) as s:
        cells = [c for c in cell_mapping.get_all(s) if not c.is_cell0]
    found: list[tuple[str, str]] = []
    for cell in cells:
        with engines.session(cell.database_connection) as cs:
            rows = cs.scalars(select(cell_models.ComputeNode).filter_by(deleted=0, mapped=0))
            hosts = sorted({r.host for r in rows})
        for host in hosts:
            with engines.session(api_url) as s:
                if host_mapping.ensure(s, host, cell.id):
                    found.append((host, cell.name or cell.uuid))
            with engines.session(cell.database_connection) as cs:
                cs.execute(update(cell_models.ComputeNode)
                           .where(cell_models.ComputeNode.host == host)
                           .values(mapped=1))
    return found


def ensure_classic_flavors(engines: EngineRegistry, api_url: str) -> int:
    """Create m1.tiny ... m1.xlarge where missing; returns how many were created."""
    created = 0
    with engines.session(api_url) as s:
        have = {f.flavorid for f in flavor.get_all(s, is_public=None)}
        for flavorid, name, ram, vcpus, disk in CLASSIC_FLAVORS:
            if flavorid in have:
                continue
            flavor.create(s, FlavorSpec(id=0, flavorid=flavorid, name=name, memory_mb=ram,
                                        vcpus=vcpus, root_gb=disk, ephemeral_gb=0, swap=0))
            created += 1
    return created
