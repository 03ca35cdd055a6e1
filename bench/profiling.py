"""A yappi CPU profile over every thread of the process, printed per unit of work.

With ``BENCH_PSTATS=FILE`` in the environment the whole profile is also saved there in
pstats format.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1] / "cirrus")


def cpu_profile(run: Callable[[], None], units: int, unit: str = "cycle", top: int = 25) -> None:
    """Profile ``run`` (which does ``units`` units of work) and print where the CPU went."""
    import yappi

    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)
    run()
    yappi.stop()
    stats = yappi.get_func_stats()
    if os.environ.get("BENCH_PSTATS"):
        # For callers and callees: python -m pstats FILE, then "callers NAME".
        stats.save(os.environ["BENCH_PSTATS"], type="pstat")
    total = sum(s.tsub for s in stats)
    print(f"\nCPU profile of {units} {unit}s, all threads ({total:.2f} s CPU, "
          f"{total / units * 1000:.1f} ms a {unit}; the profiler inflates this, compare "
          "shares); top own time:")
    for s in sorted(stats, key=lambda s: s.tsub, reverse=True)[:top]:
        print(f"  {s.tsub / units * 1000:7.2f} ms/{unit}  {s.ncall / units:8.1f} calls  "
              f"{where(s)}")
    shares: dict[str, float] = {}
    for s in stats:
        package = where(s).split("/", 1)[0].split(":", 1)[0]
        shares[package] = shares.get(package, 0.0) + s.tsub
    print("own time by package: " + ", ".join(
        f"{name} {share / total:.0%}" for name, share in
        sorted(shares.items(), key=lambda kv: kv[1], reverse=True)[:10]))
    ours = [s for s in stats if s.module.startswith(_ROOT) or "/placement/" in s.module]
    print("top cumulative time in cirrus and placement code:")
    for s in sorted(ours, key=lambda s: s.ttot, reverse=True)[:top + 15]:
        print(f"  {s.ttot / units * 1000:7.2f} ms/{unit}  {s.ncall / units:8.1f} calls  "
              f"{where(s)}")
    yappi.clear_stats()


def where(stat: Any) -> str:
    """``package/module.py:function`` of a yappi function stat."""
    path = Path(stat.module)
    parts = path.parts
    for anchor in ("site-packages", "cirrus", "lib"):
        if anchor in parts:
            path = Path(*parts[parts.index(anchor) + (anchor != "cirrus"):])
            break
    return f"{path}:{stat.name}"
