"""``cirrus-manage status``: is the deployment ready to serve?"""

from typing import Any

from cirrus.db import migration
from cirrus.db.engine import EngineRegistry
from cirrus.objects import cell_mapping, host_mapping


def _check(name: str, ok: bool, detail: str) -> bool:
    print(f"{'OK' if ok else 'FAIL':4}  {name}: {detail}")  # noqa: T201
    return ok


def run(conf: Any, engines: EngineRegistry) -> int:
    """Print each check; 0 when all pass, 1 otherwise."""
    api = conf.api_database.connection
    results = []
    revision = migration.current("api", engines.engine(api))
    results.append(_check("API database", revision is not None, f"revision {revision}"))
    with engines.session(api) as s:
        cells = cell_mapping.get_all(s)
        hosts = host_mapping.all_hosts(s)
    results.append(_check("cell0", any(c.is_cell0 for c in cells), "mapped"))
    real_cells = [c for c in cells if not c.is_cell0]
    results.append(_check("cells", bool(real_cells), f"{len(real_cells)} mapped"))
    for cell in cells:
        try:
            rev = migration.current("cell", engines.engine(cell.database_connection))
        except Exception as exc:
            rev, detail = None, f"unreachable: {type(exc).__name__}"
        else:
            detail = f"revision {rev}"
        results.append(_check(f"cell {cell.name} database", rev is not None, detail))
    results.append(_check("compute hosts", bool(hosts), f"{len(hosts)} mapped"))
    return 0 if all(results) else 1
