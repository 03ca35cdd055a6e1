"""ComputeFilter: service up and enabled."""

import pytest

from cirrus.scheduler.filters.compute_filter import ComputeFilter


@pytest.mark.parametrize(
    ("up", "disabled", "expected"),
    [(True, False, True), (False, False, False), (True, True, False), (False, True, False)],
)
def test_host_passes(make_host, make_spec, up, disabled, expected):
    host = make_host(service_up=up, service_disabled=disabled)
    assert ComputeFilter().host_passes(host, make_spec()) is expected


def test_runs_once_per_request():
    assert ComputeFilter.run_filter_once_per_request is True
    assert ComputeFilter().run_filter_for_index(1) is False
