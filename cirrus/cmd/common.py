"""What every service entry point does first: parse the config and set up logging."""

import argparse
import signal
import threading
from collections.abc import Sequence

from oslo_config import cfg

from cirrus import log
from cirrus.conf import build_config


def parse(prog: str, argv: Sequence[str], extra: Sequence[tuple[str, dict[str, object]]] = ()
          ) -> tuple[argparse.Namespace, cfg.ConfigOpts]:
    """Our own flags plus ``--config-file``; returns them and the parsed config."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--config-file", action="append", default=[],
                        help="INI file with nova.conf-style options (repeatable)")
    parser.add_argument("--debug", action="store_true", help="log at debug level")
    for flag, kwargs in extra:
        parser.add_argument(flag, **kwargs)  # type: ignore[arg-type]
    args = parser.parse_args(list(argv))
    conf = build_config(argv=[f"--config-file={f}" for f in args.config_file])
    log.setup(debug=args.debug)
    return args, conf


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
