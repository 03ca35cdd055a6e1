"""Check strings shared by the rules, as Nova's nova/policies/base.py names them."""

from oslo_policy import policy

RULE_ADMIN_API = "rule:admin_api"
RULE_ANY = "@"
RULE_NOBODY = "!"

ADMIN = "rule:context_is_admin"
PROJECT_MANAGER = "role:manager and project_id:%(project_id)s"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
PROJECT_MANAGER_OR_ADMIN = f"({PROJECT_MANAGER}) or {ADMIN}"
PROJECT_MEMBER_OR_ADMIN = f"({PROJECT_MEMBER}) or {ADMIN}"
PROJECT_READER_OR_ADMIN = f"({PROJECT_READER}) or {ADMIN}"

RULES = [
    policy.RuleDefault("context_is_admin", "role:admin", "Decides what is an administrator."),
    policy.RuleDefault("admin_api", "role:admin", "Default rule for administrative APIs."),
    policy.RuleDefault(
        "admin_or_owner", "is_admin:True or project_id:%(project_id)s",
        "Legacy rule: admin or a user of the owning project.",
    ),
    policy.RuleDefault("project_member_api", PROJECT_MEMBER, "A member of the project."),
    policy.RuleDefault("project_reader_api", PROJECT_READER, "A reader of the project."),
    policy.RuleDefault(
        "project_member_or_admin", PROJECT_MEMBER_OR_ADMIN, "Member of the project or admin."
    ),
    policy.RuleDefault(
        "project_reader_or_admin", PROJECT_READER_OR_ADMIN, "Reader of the project or admin."
    ),
]


def rule(
    name: str, check: str, description: str, operations: list[tuple[str, str]]
) -> policy.DocumentedRuleDefault:
    """A project-scoped documented rule."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description,
        operations=[{"method": m, "path": p} for m, p in operations],
        scope_types=["project"],
    )
