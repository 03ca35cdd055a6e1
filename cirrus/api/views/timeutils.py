"""The two timestamp formats of the compute API."""

import datetime

from cirrus.db.base import utcnow


def isotime(value: datetime.datetime | None) -> str:
    """``2016-06-23T14:42:02Z``; Nova gives the current time for a missing value."""
    return (value or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


def rawtime(value: datetime.datetime | None) -> str | None:
    """``2016-06-23T14:42:02.000000`` (no zone), or None."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value else None
