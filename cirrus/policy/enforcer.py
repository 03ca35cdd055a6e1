"""The policy enforcer: built from config, checked first in every handler."""

from typing import Any

from oslo_config import cfg
from oslo_policy import policy

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.policy.rules import list_rules


class Enforcer:
    """Checks rules for a context against a target (the resource's project and user)."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(list_rules())
        self._enforcer.load_rules()

    @property
    def oslo(self) -> policy.Enforcer:
        """The oslo.policy enforcer (for the generators)."""
        return self._enforcer

    def authorize(
        self, ctx: RequestContext, rule: str, target: dict[str, Any] | None = None
    ) -> None:
        """Raise PolicyNotAuthorized unless ``ctx`` passes ``rule``."""
        if not self.check(ctx, rule, target):
            raise exception.PolicyNotAuthorized(action=rule)

    def check(
        self, ctx: RequestContext, rule: str, target: dict[str, Any] | None = None
    ) -> bool:
        """Whether ``ctx`` passes ``rule`` (for non-fatal checks that shape a response)."""
        if target is None:
            target = {"project_id": ctx.project_id, "user_id": ctx.user_id}
        try:
            return bool(self._enforcer.authorize(rule, target, ctx, do_raise=False))
        except policy.InvalidScope:
            return False


def get_enforcer() -> policy.Enforcer:
    """Entry point for oslopolicy-* generators (which bring their own config)."""
    from cirrus.conf import build_config

    return Enforcer(build_config()).oslo
