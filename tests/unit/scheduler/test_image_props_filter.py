"""ImagePropertiesFilter: architecture, hypervisor type, vm mode and version."""

import pytest

from cirrus.scheduler.filters.image_props_filter import (
    ImagePropertiesFilter,
    requested_triple,
    version_from_int,
    version_satisfies,
)

FILTER = ImagePropertiesFilter()
KVM_X86 = (("x86_64", "kvm", "hvm"),)


def test_image_without_properties_passes_any_host(make_host, make_spec):
    assert FILTER.host_passes(make_host(), make_spec())
    assert FILTER.host_passes(make_host(), make_spec(image_props={"os_distro": "cirros"}))


def test_requested_property_fails_host_advertising_nothing(make_host, make_spec):
    spec = make_spec(image_props={"hw_architecture": "x86_64"})
    assert not FILTER.host_passes(make_host(supported_instances=()), spec)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"hw_architecture": "x86_64"}, True),
        ({"hw_architecture": "aarch64"}, False),
        ({"img_hv_type": "kvm"}, True),
        ({"img_hv_type": "xen"}, False),
        ({"hw_vm_mode": "hvm"}, True),
        ({"hw_vm_mode": "exe"}, False),
        ({"hw_architecture": "x86_64", "img_hv_type": "kvm", "hw_vm_mode": "hvm"}, True),
        ({"hw_architecture": "x86_64", "img_hv_type": "qemu"}, False),
        # Legacy property names.
        ({"architecture": "x86_64"}, True),
        ({"hypervisor_type": "xen"}, False),
        ({"vm_mode": "hvm"}, True),
        # Canonical spellings: case and aliases.
        ({"hw_architecture": "AMD64"}, True),
        ({"hw_vm_mode": "HV"}, True),
        # Empty values mean "not set".
        ({"hw_architecture": "", "architecture": "x86_64"}, True),
        ({"hw_architecture": ""}, True),
        ({"hw_architecture": "  "}, True),
    ],
)
def test_triple_against_kvm_x86_host(make_host, make_spec, props, expected):
    host = make_host(supported_instances=KVM_X86)
    assert FILTER.host_passes(host, make_spec(image_props=props)) is expected


def test_current_name_wins_over_legacy_name(make_host, make_spec):
    host = make_host(supported_instances=KVM_X86)
    spec = make_spec(image_props={"hw_architecture": "aarch64", "architecture": "x86_64"})
    assert not FILTER.host_passes(host, spec)


def test_any_supported_triple_may_match(make_host, make_spec):
    host = make_host(supported_instances=(("aarch64", "kvm", "hvm"), ("x86_64", "qemu", "hvm")))
    spec = make_spec(image_props={"hw_architecture": "x86_64", "img_hv_type": "qemu"})
    assert FILTER.host_passes(host, spec)


def test_triple_is_matched_by_position(make_host, make_spec):
    # "hvm" is in the host's triple, but as a vm mode, not a hypervisor type.
    host = make_host(supported_instances=KVM_X86)
    assert not FILTER.host_passes(host, make_spec(image_props={"img_hv_type": "hvm"}))


def test_host_aliases_are_canonicalised(make_host, make_spec):
    host = make_host(supported_instances=(("i386", "xapi", "pv"),))
    spec = make_spec(
        image_props={"hw_architecture": "i686", "img_hv_type": "xen", "hw_vm_mode": "xen"}
    )
    assert FILTER.host_passes(host, spec)


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [(">=6.0", True), (">=6.1", False), (">=5.0,<6.1", True), ("<6.0", False), ("6.0.0", True)],
)
def test_requested_hypervisor_version(make_host, make_spec, predicate, expected):
    host = make_host(supported_instances=KVM_X86, hypervisor_version=6000000)
    props = {"hw_architecture": "x86_64", "img_hv_requested_version": predicate}
    assert FILTER.host_passes(host, make_spec(image_props=props)) is expected


def test_version_is_checked_without_triple_properties(make_host, make_spec):
    host = make_host(hypervisor_version=6000000)
    assert not FILTER.host_passes(host, make_spec(image_props={"img_hv_requested_version": ">=7"}))
    assert FILTER.host_passes(host, make_spec(image_props={"img_hv_requested_version": ">=6"}))


def test_legacy_version_property(make_host, make_spec):
    host = make_host(hypervisor_version=6000000)
    spec = make_spec(image_props={"hypervisor_version_requires": ">=7"})
    assert not FILTER.host_passes(host, spec)


def test_host_without_version_passes_version_requirement(make_host, make_spec):
    host = make_host(hypervisor_version=0)
    assert FILTER.host_passes(host, make_spec(image_props={"img_hv_requested_version": ">=7"}))


def test_unparsable_version_requirement_fails(make_host, make_spec):
    host = make_host(hypervisor_version=6000000)
    spec = make_spec(image_props={"img_hv_requested_version": "about six"})
    assert not FILTER.host_passes(host, spec)


@pytest.mark.parametrize(
    ("version", "expected"),
    [(1002003, (1, 2, 3)), (6000000, (6, 0, 0)), (1000, (1, 0)), (7, (7,)), (0, ())],
)
def test_version_from_int(version, expected):
    assert version_from_int(version) == expected


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        ("==6.0", True),
        ("== 6", True),
        ("!=6.0", False),
        ("!=6.1", True),
        (">6.0", False),
        (">5.9.9", True),
        ("<=6.0", True),
        ("<6.0.1", True),
        (">=6.0, <6.0", False),
        ("6", True),
        ("", False),
        (">=", False),
        ("~=6.0", False),
        (">=6.x", False),
    ],
)
def test_version_satisfies(predicate, expected):
    assert version_satisfies((6, 0, 0), predicate) is expected


def test_requested_triple_defaults_to_any():
    assert requested_triple({}) == (None, None, None)
    assert requested_triple({"vm_mode": "Baremetal"}) == (None, None, "hvm")


def test_runs_once_per_request():
    assert ImagePropertiesFilter.run_filter_once_per_request is True
