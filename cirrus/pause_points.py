"""Test-only pause points: a process stops at a named point so a crash test can kill it.

They are off unless ``[testing] pause_at`` names points (cirrus.conf.testing); a
deployment never sets it. A thread that reaches a named point writes a file named after
it into ``[testing] pause_marker_dir`` and then waits until the file is gone: the test
sees the file and kills the process there (SIGKILL, as a crash) and starts it again
without the option, or does something to the world around it (restarts the broker, say)
and removes the file to let it go on.
"""

import functools
import inspect
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from oslo_config import cfg

LOG = logging.getLogger(__name__)

class PausePoints:
    """Where this process pauses (see the module docstring)."""

    def __init__(self, names: Sequence[str], marker_dir: Path) -> None:
        self._names = frozenset(names)
        self._dir = marker_dir

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> "PausePoints | None":
        """The points ``[testing]`` names, or None (the normal case).

        Raises:
            ValueError: pause_at is set without pause_marker_dir.
        """
        names = list(conf.testing.pause_at)
        if not names:
            return None
        if not conf.testing.pause_marker_dir:
            raise ValueError("[testing] pause_at needs [testing] pause_marker_dir")
        LOG.warning("TEST HOOK: this process pauses at %s", ", ".join(names))
        return cls(names, Path(conf.testing.pause_marker_dir))

    def reach(self, name: str) -> None:
        """Pause while the marker of ``name`` exists, if it is a pause point; return at
        once otherwise."""
        if name not in self._names:
            return
        LOG.warning("TEST HOOK: paused at %s", name)
        self._dir.mkdir(parents=True, exist_ok=True)
        marker = self._dir / name
        marker.write_text("paused\n")
        while marker.exists():
            time.sleep(0.1)
        LOG.warning("TEST HOOK: released at %s", name)

    def wrap(self, endpoint: object) -> object:
        """``endpoint`` with a pause point before each RPC method named in ``pause_at``."""
        return _PausingEndpoint(endpoint, self)

class _PausingEndpoint:
    """Forwards everything to an RPC endpoint; a named method first reaches its point."""

    def __init__(self, endpoint: object, points: PausePoints) -> None:
        self._endpoint = endpoint
        self._points = points

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._endpoint, name)
        # Only methods: an endpoint's ``target`` is callable too but must stay as it is.
        if name.startswith("_") or not inspect.isroutine(attr):
            return attr
        points = self._points

        @functools.wraps(attr)
        def _method(*args: Any, **kwargs: Any) -> Any:
            points.reach(name)
            return attr(*args, **kwargs)

        return _method

def wrap_endpoints(conf: cfg.ConfigOpts, endpoints: Sequence[object]) -> list[object]:
    """The endpoints as they are, or behind the pause points ``[testing]`` names."""
    points = PausePoints.from_conf(conf)
    return list(endpoints) if points is None else [points.wrap(e) for e in endpoints]
