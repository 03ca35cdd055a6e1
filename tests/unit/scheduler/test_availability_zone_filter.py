"""AvailabilityZoneFilter: requested zone against the host's zone."""

from cirrus.scheduler.filters.availability_zone_filter import AvailabilityZoneFilter


def test_no_zone_requested_passes_every_host(make_host, make_spec):
    host = make_host(availability_zone="cell2")
    assert AvailabilityZoneFilter().host_passes(host, make_spec())
    assert AvailabilityZoneFilter().host_passes(host, make_spec(availability_zone=""))


def test_host_in_requested_zone_passes(make_host, make_spec):
    host = make_host(availability_zone="cell1")
    assert AvailabilityZoneFilter().host_passes(host, make_spec(availability_zone="cell1"))


def test_host_in_other_zone_fails(make_host, make_spec):
    host = make_host(availability_zone="cell2")
    assert not AvailabilityZoneFilter().host_passes(host, make_spec(availability_zone="cell1"))


def test_zone_names_are_case_sensitive(make_host, make_spec):
    host = make_host(availability_zone="Cell1")
    assert not AvailabilityZoneFilter().host_passes(host, make_spec(availability_zone="cell1"))


def test_runs_once_per_request():
    assert AvailabilityZoneFilter.run_filter_once_per_request is True
