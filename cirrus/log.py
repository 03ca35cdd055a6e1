"""Logging with the request id of the work being done on every line."""

import contextvars
import logging

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"
_QUIET = ("placement.requestlog", "oslo.messaging", "oslo_messaging", "kombu", "amqp", "httpx",
          "alembic", "stevedore", "oslo_policy", "keystonemiddleware")


class RequestIdFilter(logging.Filter):
    """Put the current request id on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always passes; only annotates."""
        record.request_id = REQUEST_ID.get()
        return True


def setup(level: int = logging.INFO, debug: bool = False) -> None:
    """Configure the root logger of a service process."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
