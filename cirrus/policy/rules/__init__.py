"""Every policy rule, for the enforcer and oslopolicy-sample-generator."""

from itertools import chain

from oslo_policy import policy

from cirrus.policy import base
from cirrus.policy.rules import compute, servers


def list_rules() -> list[policy.RuleDefault]:
    """All rules with their defaults."""
    return list(chain(base.RULES, servers.RULES, compute.RULES))
