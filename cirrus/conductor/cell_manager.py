"""The RPC endpoint of a cell's conductor; cell-local orchestration runs here."""

import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging


class CellConductorManager:
    """Answers on the cell's ``conductor`` topic."""

    target = messaging.Target(version="1.0")

    def ping(self, ctxt: Any) -> str:
        """Liveness check used by ``cirrus-manage status``."""
        del ctxt
        return "pong"
