"""The oslo config and policy generators see every Cirrus option and rule."""

from cirrus.conf import opts
from cirrus.policy.rules import list_rules


def test_config_namespace_lists_nova_groups():
    groups = dict(opts.list_opts())
    for group in ("DEFAULT", "api_database", "database", "scheduler", "filter_scheduler",
                  "upgrade_levels", "placement"):
        assert group in groups
    names = {o.name for o in groups["filter_scheduler"]}
    assert {"enabled_filters", "weight_classes", "cross_cell_move_weight_multiplier"} <= names
    defaults = {o.name: o.default for o in groups["DEFAULT"]}
    assert defaults["long_rpc_timeout"] == 1800
    assert defaults["allow_resize_to_same_host"] is False


def test_policy_rules_have_nova_names_and_defaults():
    rules = {r.name: r.check_str for r in list_rules()}
    assert rules["compute:servers:resize:cross_cell"] == "!"
    assert rules["os_compute_api:os-migrate-server:migrate:host"] == "rule:context_is_admin"
    assert "role:member" in rules["os_compute_api:servers:resize"]
    assert "role:manager" in rules["os_compute_api:os-migrate-server:migrate"]
    assert len(rules) == len(list_rules())
