"""The flavor as embedded in servers and request specs (a frozen copy, not the API row)."""

import dataclasses
from typing import Any

from cirrus.objects.plain import as_dict


@dataclasses.dataclass(frozen=True)
class FlavorSpec:
    """A flavor's sizes and extra specs, as a server keeps them."""

    id: int
    flavorid: str
    name: str
    memory_mb: int
    vcpus: int
    root_gb: int
    ephemeral_gb: int
    swap: int
    rxtx_factor: float = 1.0
    vcpu_weight: int | None = None
    is_public: bool = True
    disabled: bool = False
    description: str | None = None
    extra_specs: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return as_dict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FlavorSpec":
        """Inverse of to_dict; unknown keys are ignored so older rows still load."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})
