"""The filter registry, BaseFilter.filter_all, run_filters and FilterReport."""

import pytest

from cirrus.conf.scheduler import DEFAULT_FILTERS
from cirrus.exception import NoValidHost
from cirrus.scheduler import filters
from cirrus.scheduler.filters import (
    AvailabilityZoneFilter,
    BaseFilter,
    ComputeFilter,
    FilterReport,
    FilterStep,
    load_filters,
    run_filters,
)


class RejectNamed(BaseFilter):
    """Test filter: rejects the hosts named at construction, on every call."""

    def __init__(self, *names):
        self.names = set(names)
        self.calls = 0

    def host_passes(self, host, spec):
        self.calls += 1
        return host.host not in self.names


class OncePerRequest(RejectNamed):
    run_filter_once_per_request = True


# Registry


def test_every_default_filter_is_registered():
    assert set(DEFAULT_FILTERS) <= set(filters.FILTERS)


def test_load_filters_keeps_order_and_returns_instances():
    loaded = load_filters(["AvailabilityZoneFilter", " ComputeFilter "])
    assert [type(f) for f in loaded] == [AvailabilityZoneFilter, ComputeFilter]
    assert [f.name for f in loaded] == ["AvailabilityZoneFilter", "ComputeFilter"]


def test_load_filters_empty():
    assert load_filters([]) == []


def test_load_filters_unknown_names():
    with pytest.raises(ValueError, match="Unknown scheduler filters: NopeFilter, RamFilter;"):
        load_filters(["ComputeFilter", "NopeFilter", "RamFilter"])


# BaseFilter


def test_base_filter_is_abstract():
    with pytest.raises(TypeError):
        BaseFilter()  # type: ignore[abstract]


def test_filter_all_keeps_order(make_host, make_spec):
    hosts = [make_host(n) for n in ("h3", "h1", "h2")]
    assert RejectNamed("h1").filter_all(hosts, make_spec()) == [hosts[0], hosts[2]]


def test_run_filter_for_index():
    assert RejectNamed().run_filter_for_index(0)
    assert RejectNamed().run_filter_for_index(1)
    assert OncePerRequest().run_filter_for_index(0)
    assert not OncePerRequest().run_filter_for_index(1)


# run_filters


def test_all_pass(make_host, make_spec):
    hosts = [make_host("h1"), make_host("h2")]
    passed, report = run_filters([RejectNamed(), RejectNamed()], hosts, make_spec())
    assert passed == hosts
    assert report.hosts_in == 2
    assert report.hosts_out == 2
    assert report.eliminated_by is None
    assert report.steps == (FilterStep("RejectNamed", 2, 2), FilterStep("RejectNamed", 2, 2))


def test_counts_and_removed_hosts_per_filter(make_host, make_spec):
    hosts = [make_host(n) for n in ("h1", "h2", "h3")]
    passed, report = run_filters([RejectNamed("h2"), OncePerRequest("h3")], hosts, make_spec())
    assert [h.host for h in passed] == ["h1"]
    assert report.steps == (
        FilterStep("RejectNamed", 3, 2, ("h2",)),
        FilterStep("OncePerRequest", 2, 1, ("h3",)),
    )
    assert report.hosts_out == 1
    assert report.message() == (
        "1 of 3 hosts passed the filters (RejectNamed: 3 -> 2, OncePerRequest: 2 -> 1)"
    )


def test_stops_at_the_filter_that_removes_the_last_host(make_host, make_spec):
    hosts = [make_host("h1"), make_host("h2")]
    later = RejectNamed()
    passed, report = run_filters(
        [ComputeFilter(), AvailabilityZoneFilter(), later],
        hosts,
        make_spec(availability_zone="elsewhere"),
    )
    assert passed == []
    assert later.calls == 0
    assert report.eliminated_by == "AvailabilityZoneFilter"
    assert report.hosts_out == 0
    assert [s.name for s in report.steps] == ["ComputeFilter", "AvailabilityZoneFilter"]
    assert report.message() == (
        "Filter AvailabilityZoneFilter returned 0 hosts "
        "(ComputeFilter: 2 -> 2, AvailabilityZoneFilter: 2 -> 0)"
    )


def test_first_filter_eliminates_everything(make_host, make_spec):
    hosts = [make_host("h1", service_up=False)]
    _, report = run_filters([ComputeFilter()], hosts, make_spec())
    assert report.message() == "Filter ComputeFilter returned 0 hosts (ComputeFilter: 1 -> 0)"
    assert str(report) == report.message()


def test_once_per_request_filters_are_skipped_after_the_first_server(make_host, make_spec):
    hosts = [make_host("h1"), make_host("h2")]
    once, every = OncePerRequest("h1"), RejectNamed("h2")
    passed, report = run_filters([once, every], hosts, make_spec(), index=1)
    assert [h.host for h in passed] == ["h1"]
    assert once.calls == 0
    assert report.steps[0] == FilterStep("OncePerRequest", 2, 2, skipped=True)
    assert report.message() == (
        "1 of 2 hosts passed the filters (OncePerRequest: skipped, RejectNamed: 2 -> 1)"
    )


def test_no_candidates_runs_no_filter(make_host, make_spec):
    probe = RejectNamed()
    passed, report = run_filters([probe], [], make_spec())
    assert passed == []
    assert probe.calls == 0
    assert report == FilterReport(hosts_in=0)
    assert report.eliminated_by is None
    assert report.hosts_out == 0
    assert report.message() == "No candidate hosts to filter"


def test_no_filters(make_host, make_spec):
    hosts = [make_host("h1")]
    passed, report = run_filters([], iter(hosts), make_spec())
    assert passed == hosts
    assert report.hosts_out == 1
    assert report.message() == "1 of 1 hosts passed the filters (no filters enabled)"


def test_hosts_that_compare_equal_are_counted_separately(make_host, make_spec):
    # Two equal HostState values are still two candidates.
    hosts = [make_host("h1"), make_host("h1")]
    passed, report = run_filters([RejectNamed()], hosts, make_spec())
    assert len(passed) == 2
    assert report.steps[0].removed == ()


def test_report_message_fits_no_valid_host(make_host, make_spec):
    _, report = run_filters([ComputeFilter()], [make_host(service_disabled=True)], make_spec())
    error = NoValidHost(reason=report.message())
    assert str(error) == (
        "No valid host was found. Filter ComputeFilter returned 0 hosts (ComputeFilter: 1 -> 0)"
    )


def test_step_describe():
    assert FilterStep("F", 4, 1).describe() == "F: 4 -> 1"
    assert FilterStep("F", 4, 4, skipped=True).describe() == "F: skipped"
