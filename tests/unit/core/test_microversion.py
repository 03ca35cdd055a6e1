"""Microversion parsing: headers, latest, format errors, range."""

import falcon.testing
import pytest

from cirrus import exception
from cirrus.api import microversion


def _req(**headers):
    return falcon.testing.create_req(headers=headers)


def test_default_is_minimum():
    assert microversion.parse(_req()) == microversion.Version(2, 1)


def test_standard_header_wins_over_legacy():
    req = _req(**{"OpenStack-API-Version": "compute 2.60",
                  "X-OpenStack-Nova-API-Version": "2.30"})
    assert microversion.parse(req) == microversion.Version(2, 60)


def test_multi_service_header():
    req = _req(**{"OpenStack-API-Version": "volume 3.44, compute 2.53"})
    assert str(microversion.parse(req)) == "2.53"


def test_latest():
    assert microversion.parse(_req(**{"X-OpenStack-Nova-API-Version": "latest"})) == \
        microversion.Version(*microversion.MAX_VERSION)


def test_latest_is_pinned():
    assert microversion.max_version_str() == "2.90"


@pytest.mark.parametrize("raw", ["2.x", "2", "abc", "2.01a", "02.1"])
def test_bad_format(raw):
    with pytest.raises(exception.Invalid, match="is of invalid format"):
        microversion.parse(_req(**{"X-OpenStack-Nova-API-Version": raw}))


@pytest.mark.parametrize("raw", ["2.0", "2.91", "3.1", "1.1"])
def test_out_of_range(raw):
    with pytest.raises(microversion.NotAcceptable, match="is not supported by the API"):
        microversion.parse(_req(**{"X-OpenStack-Nova-API-Version": raw}))


def test_matches():
    v = microversion.Version(2, 47)
    assert v.matches((2, 47)) and v.matches((2, 1), (2, 47)) and not v.matches((2, 48))
