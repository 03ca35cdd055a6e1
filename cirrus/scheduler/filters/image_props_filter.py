"""ImagePropertiesFilter: the image's architecture, hypervisor and version needs."""

import re
from collections.abc import Callable
from typing import Any

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.filters.base import BaseFilter
from cirrus.scheduler.host_state import HostState

# (current property name, legacy name) per position of a supported-instance triple.
_TRIPLE_PROPS = (
    ("hw_architecture", "architecture"),
    ("img_hv_type", "hypervisor_type"),
    ("hw_vm_mode", "vm_mode"),
)
_VERSION_PROPS = ("img_hv_requested_version", "hypervisor_version_requires")

# Spellings that name the same thing; images and drivers have used all of them.
_ARCH_ALIASES = {
    "i386": "i686",
    "i486": "i686",
    "i586": "i686",
    "x86_32": "i686",
    "x86_32p": "i686",
    "amd64": "x86_64",
}
_HV_ALIASES = {"xapi": "xen"}
_VM_MODE_ALIASES = {"pv": "xen", "hv": "hvm", "baremetal": "hvm"}
_ALIASES = (_ARCH_ALIASES, _HV_ALIASES, _VM_MODE_ALIASES)

_CONSTRAINT = re.compile(r"^(<=|>=|==|!=|<|>)?\s*(\d+(?:\.\d+)*)$")

Version = tuple[int, ...]


def _canonical(position: int, value: Any) -> str | None:
    name = "" if value is None else str(value).strip().lower()
    if not name:
        return None
    return _ALIASES[position].get(name, name)


def _image_prop(props: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if props.get(name) not in (None, ""):
            return props[name]
    return None


def requested_triple(props: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(architecture, hypervisor type, vm mode) the image asks for, canonical; None = any."""
    arch, hv_type, vm_mode = (
        _canonical(i, _image_prop(props, names)) for i, names in enumerate(_TRIPLE_PROPS)
    )
    return arch, hv_type, vm_mode


def version_from_int(version: int) -> Version:
    """A hypervisor version as reported (``1002003``) as a tuple (``(1, 2, 3)``)."""
    parts: list[int] = []
    while version > 0:
        version, part = divmod(version, 1000)
        parts.insert(0, part)
    return tuple(parts)


def _compare(left: Version, right: Version) -> int:
    # Versions of different lengths compare as if padded with zeros: 6.0 == 6.0.0.
    width = max(len(left), len(right))
    lpad = left + (0,) * (width - len(left))
    rpad = right + (0,) * (width - len(right))
    return (lpad > rpad) - (lpad < rpad)


_OPS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    "==": lambda c: c == 0,
    "!=": lambda c: c != 0,
    ">=": lambda c: c >= 0,
    ">": lambda c: c > 0,
}


def version_satisfies(version: Version, predicate: str) -> bool:
    """Whether ``version`` meets every comma-separated constraint in ``predicate``.

    A constraint is an operator (``<``, ``<=``, ``==``, ``!=``, ``>=``, ``>``) and a
    dotted version; a bare version means ``==``. A predicate that does not parse cannot
    be satisfied, so the host fails rather than the request erroring.
    """
    for constraint in predicate.split(","):
        parsed = _CONSTRAINT.match(constraint.strip())
        if parsed is None:
            return False
        op = parsed.group(1) or "=="
        wanted = tuple(int(part) for part in parsed.group(2).split("."))
        if not _OPS[op](_compare(version, wanted)):
            return False
    return True


class ImagePropertiesFilter(BaseFilter):
    """Passes a host that can run the image's architecture, hypervisor type and vm mode.

    The image's (architecture, hypervisor type, vm mode) must match, position by
    position, one of the host's ``supported_instances``; a property the image leaves
    unset matches anything. An image that sets none of them passes every host, and one
    that sets any fails a host advertising nothing. Independently, a
    ``img_hv_requested_version`` predicate must hold for the host's hypervisor
    version, unless the host reports no version (0).
    """

    # The image and the hosts' capabilities are fixed for the whole request.
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """True when both the triple and the version requirement are met."""
        props = spec.image.properties
        return self._triple_supported(host, props) and self._version_supported(host, props)

    @staticmethod
    def _triple_supported(host: HostState, props: dict[str, Any]) -> bool:
        wanted = requested_triple(props)
        if not any(wanted):
            return True
        for supported in host.supported_instances:
            offered = [_canonical(i, value) for i, value in enumerate(supported)]
            if all(w is None or w == o for w, o in zip(wanted, offered, strict=True)):
                return True
        return False

    @staticmethod
    def _version_supported(host: HostState, props: dict[str, Any]) -> bool:
        predicate = _image_prop(props, _VERSION_PROPS)
        if predicate is None or not host.hypervisor_version:
            return True
        return version_satisfies(version_from_int(host.hypervisor_version), str(predicate))
