"""SameHostFilter and DifferentHostFilter on the same_host / different_host hints."""

from cirrus.scheduler.filters.affinity_filter import DifferentHostFilter, SameHostFilter

A, B, C = "uuid-a", "uuid-b", "uuid-c"


def test_same_host_without_hint_passes(make_host, make_spec):
    assert SameHostFilter().host_passes(make_host(instances=frozenset({A})), make_spec())
    assert SameHostFilter().host_passes(make_host(), make_spec(scheduler_hints={"same_host": []}))


def test_same_host_passes_host_with_any_hinted_server(make_host, make_spec):
    spec = make_spec(scheduler_hints={"same_host": [A, B]})
    assert SameHostFilter().host_passes(make_host(instances=frozenset({B, C})), spec)


def test_same_host_fails_host_without_hinted_server(make_host, make_spec):
    spec = make_spec(scheduler_hints={"same_host": [A, B]})
    assert not SameHostFilter().host_passes(make_host(instances=frozenset({C})), spec)
    assert not SameHostFilter().host_passes(make_host(), spec)


def test_same_host_accepts_single_uuid_string(make_host, make_spec):
    spec = make_spec(scheduler_hints={"same_host": A})
    assert SameHostFilter().host_passes(make_host(instances=frozenset({A})), spec)
    # A bare string is one uuid, not a collection of characters.
    assert not SameHostFilter().host_passes(make_host(instances=frozenset({"u"})), spec)


def test_different_host_without_hint_passes(make_host, make_spec):
    assert DifferentHostFilter().host_passes(make_host(instances=frozenset({A})), make_spec())


def test_different_host_fails_host_with_any_hinted_server(make_host, make_spec):
    spec = make_spec(scheduler_hints={"different_host": [A, B]})
    assert not DifferentHostFilter().host_passes(make_host(instances=frozenset({B})), spec)


def test_different_host_passes_host_without_hinted_server(make_host, make_spec):
    spec = make_spec(scheduler_hints={"different_host": [A, B]})
    assert DifferentHostFilter().host_passes(make_host(instances=frozenset({C})), spec)
    assert DifferentHostFilter().host_passes(make_host(), spec)


def test_different_host_accepts_single_uuid_string(make_host, make_spec):
    spec = make_spec(scheduler_hints={"different_host": A})
    assert not DifferentHostFilter().host_passes(make_host(instances=frozenset({A})), spec)


def test_hints_do_not_cross(make_host, make_spec):
    host = make_host(instances=frozenset({A}))
    assert DifferentHostFilter().host_passes(host, make_spec(scheduler_hints={"same_host": [A]}))
    assert SameHostFilter().host_passes(host, make_spec(scheduler_hints={"different_host": [B]}))


def test_run_once_per_request():
    assert SameHostFilter.run_filter_once_per_request is True
    assert DifferentHostFilter.run_filter_once_per_request is True
