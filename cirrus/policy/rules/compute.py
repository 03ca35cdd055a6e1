"""Rules of the other compute API resources (nova/policies/*.py names)."""

from cirrus.policy import base
from cirrus.policy.base import rule

FLAVOR_CREATE = "os_compute_api:os-flavor-manage:create"
FLAVOR_UPDATE = "os_compute_api:os-flavor-manage:update"
FLAVOR_DELETE = "os_compute_api:os-flavor-manage:delete"
FLAVOR_EXTRA_SPECS_INDEX = "os_compute_api:os-flavor-extra-specs:index"
FLAVOR_EXTRA_SPECS_SHOW = "os_compute_api:os-flavor-extra-specs:show"
FLAVOR_EXTRA_SPECS_CREATE = "os_compute_api:os-flavor-extra-specs:create"
FLAVOR_EXTRA_SPECS_UPDATE = "os_compute_api:os-flavor-extra-specs:update"
FLAVOR_EXTRA_SPECS_DELETE = "os_compute_api:os-flavor-extra-specs:delete"
FLAVOR_ACCESS = "os_compute_api:os-flavor-access"
FLAVOR_ACCESS_ADD = "os_compute_api:os-flavor-access:add_tenant_access"
FLAVOR_ACCESS_REMOVE = "os_compute_api:os-flavor-access:remove_tenant_access"
SERVICES_LIST = "os_compute_api:os-services:list"
SERVICES_UPDATE = "os_compute_api:os-services:update"
SERVICES_DELETE = "os_compute_api:os-services:delete"
HYPERVISORS_LIST = "os_compute_api:os-hypervisors:list"
HYPERVISORS_LIST_DETAIL = "os_compute_api:os-hypervisors:list-detail"
HYPERVISORS_SHOW = "os_compute_api:os-hypervisors:show"
HYPERVISORS_STATISTICS = "os_compute_api:os-hypervisors:statistics"
AZ_LIST = "os_compute_api:os-availability-zone:list"
AZ_DETAIL = "os_compute_api:os-availability-zone:detail"
LIMITS = "os_compute_api:limits"
LIMITS_OTHER_PROJECT = "os_compute_api:limits:other_project"
QUOTA_SHOW = "os_compute_api:os-quota-sets:show"
QUOTA_DEFAULTS = "os_compute_api:os-quota-sets:defaults"
QUOTA_UPDATE = "os_compute_api:os-quota-sets:update"
QUOTA_DETAIL = "os_compute_api:os-quota-sets:detail"
KEYPAIRS_INDEX = "os_compute_api:os-keypairs:index"
KEYPAIRS_CREATE = "os_compute_api:os-keypairs:create"
KEYPAIRS_SHOW = "os_compute_api:os-keypairs:show"
KEYPAIRS_DELETE = "os_compute_api:os-keypairs:delete"
ACTIONS_LIST = "os_compute_api:os-instance-actions:list"
ACTIONS_SHOW = "os_compute_api:os-instance-actions:show"
ACTIONS_EVENTS = "os_compute_api:os-instance-actions:events"
ACTIONS_EVENTS_DETAILS = "os_compute_api:os-instance-actions:events:details"
EXTERNAL_EVENTS = "os_compute_api:os-server-external-events:create"
MIGRATIONS_INDEX = "os_compute_api:os-migrations:index"
MIGRATIONS_INDEX_ALL = "os_compute_api:os-migrations:index:all_projects"
MIGRATIONS_INDEX_HOST = "os_compute_api:os-migrations:index:host"
SERVER_MIGRATIONS_INDEX = "os_compute_api:servers:migrations:index"
SERVER_MIGRATIONS_SHOW = "os_compute_api:servers:migrations:show"
SERVER_GROUPS_CREATE = "os_compute_api:os-server-groups:create"
SERVER_GROUPS_INDEX = "os_compute_api:os-server-groups:index"
SERVER_GROUPS_INDEX_ALL = "os_compute_api:os-server-groups:index:all_projects"
SERVER_GROUPS_SHOW = "os_compute_api:os-server-groups:show"
SERVER_GROUPS_DELETE = "os_compute_api:os-server-groups:delete"
VOLUME_ATTACHMENTS_INDEX = "os_compute_api:os-volumes-attachments:index"
VOLUME_ATTACHMENTS_SHOW = "os_compute_api:os-volumes-attachments:show"
VOLUME_ATTACHMENTS_CREATE = "os_compute_api:os-volumes-attachments:create"
VOLUME_ATTACHMENTS_DELETE = "os_compute_api:os-volumes-attachments:delete"

_KEYPAIR_OWNER = f"({base.ADMIN}) or user_id:%(user_id)s"
_F = "/flavors"
_FS = "/flavors/{flavor_id}/os-extra_specs"
_IA = "/servers/{server_id}/os-instance-actions"
_SG = "/os-server-groups"
_VA = "/servers/{server_id}/os-volume_attachments"

RULES = [
    rule(VOLUME_ATTACHMENTS_INDEX, base.PROJECT_READER_OR_ADMIN,
         "List the volumes attached to a server.", [("GET", _VA)]),
    rule(VOLUME_ATTACHMENTS_SHOW, base.PROJECT_READER_OR_ADMIN,
         "Show a volume attachment of a server.", [("GET", _VA + "/{volume_id}")]),
    rule(VOLUME_ATTACHMENTS_CREATE, base.PROJECT_MEMBER_OR_ADMIN,
         "Attach a volume to a server.", [("POST", _VA)]),
    rule(VOLUME_ATTACHMENTS_DELETE, base.PROJECT_MEMBER_OR_ADMIN,
         "Detach a volume from a server.", [("DELETE", _VA + "/{volume_id}")]),
    rule(FLAVOR_CREATE, base.ADMIN, "Create a flavor.", [("POST", _F)]),
    rule(FLAVOR_UPDATE, base.ADMIN, "Update a flavor.", [("PUT", "/flavors/{flavor_id}")]),
    rule(FLAVOR_DELETE, base.ADMIN, "Delete a flavor.", [("DELETE", "/flavors/{flavor_id}")]),
    rule(FLAVOR_EXTRA_SPECS_INDEX, base.PROJECT_READER_OR_ADMIN, "List extra specs.",
         [("GET", _FS)]),
    rule(FLAVOR_EXTRA_SPECS_SHOW, base.PROJECT_READER_OR_ADMIN, "Show an extra spec.",
         [("GET", _FS + "/{key}")]),
    rule(FLAVOR_EXTRA_SPECS_CREATE, base.ADMIN, "Create extra specs.", [("POST", _FS)]),
    rule(FLAVOR_EXTRA_SPECS_UPDATE, base.ADMIN, "Update an extra spec.",
         [("PUT", _FS + "/{key}")]),
    rule(FLAVOR_EXTRA_SPECS_DELETE, base.ADMIN, "Delete an extra spec.",
         [("DELETE", _FS + "/{key}")]),
    rule(FLAVOR_ACCESS, base.ADMIN, "List projects with access to a private flavor.",
         [("GET", "/flavors/{flavor_id}/os-flavor-access")]),
    rule(FLAVOR_ACCESS_ADD, base.ADMIN, "Give a project access to a flavor.",
         [("POST", "/flavors/{flavor_id}/action")]),
    rule(FLAVOR_ACCESS_REMOVE, base.ADMIN, "Remove a project's access to a flavor.",
         [("POST", "/flavors/{flavor_id}/action")]),
    rule(SERVICES_LIST, base.ADMIN, "List compute services.", [("GET", "/os-services")]),
    rule(SERVICES_UPDATE, base.ADMIN, "Enable, disable or force down a service.",
         [("PUT", "/os-services/{service_id}")]),
    rule(SERVICES_DELETE, base.ADMIN, "Delete a service.",
         [("DELETE", "/os-services/{service_id}")]),
    rule(HYPERVISORS_LIST, base.ADMIN, "List hypervisors.", [("GET", "/os-hypervisors")]),
    rule(HYPERVISORS_LIST_DETAIL, base.ADMIN, "List hypervisors with details.",
         [("GET", "/os-hypervisors/detail")]),
    rule(HYPERVISORS_SHOW, base.ADMIN, "Show a hypervisor.",
         [("GET", "/os-hypervisors/{hypervisor_id}")]),
    rule(HYPERVISORS_STATISTICS, base.ADMIN, "Show hypervisor statistics (below 2.88).",
         [("GET", "/os-hypervisors/statistics")]),
    rule(AZ_LIST, base.RULE_ANY, "List availability zones.", [("GET", "/os-availability-zone")]),
    rule(AZ_DETAIL, base.ADMIN, "List availability zones with hosts.",
         [("GET", "/os-availability-zone/detail")]),
    rule(LIMITS, base.RULE_ANY, "Show rate and absolute limits.", [("GET", "/limits")]),
    rule(LIMITS_OTHER_PROJECT, base.ADMIN, "Show another project's limits.",
         [("GET", "/limits")]),
    rule(QUOTA_SHOW, base.PROJECT_READER_OR_ADMIN, "Show a project's quotas.",
         [("GET", "/os-quota-sets/{project_id}")]),
    rule(QUOTA_DETAIL, base.PROJECT_READER_OR_ADMIN, "Show quota usage.",
         [("GET", "/os-quota-sets/{project_id}/detail")]),
    rule(QUOTA_DEFAULTS, base.RULE_ANY, "Show default quotas.",
         [("GET", "/os-quota-sets/{project_id}/defaults")]),
    rule(QUOTA_UPDATE, base.ADMIN, "Update quotas.", [("PUT", "/os-quota-sets/{project_id}")]),
    rule(KEYPAIRS_INDEX, _KEYPAIR_OWNER, "List key pairs.", [("GET", "/os-keypairs")]),
    rule(KEYPAIRS_CREATE, _KEYPAIR_OWNER, "Create a key pair.", [("POST", "/os-keypairs")]),
    rule(KEYPAIRS_SHOW, _KEYPAIR_OWNER, "Show a key pair.",
         [("GET", "/os-keypairs/{keypair_name}")]),
    rule(KEYPAIRS_DELETE, _KEYPAIR_OWNER, "Delete a key pair.",
         [("DELETE", "/os-keypairs/{keypair_name}")]),
    rule(ACTIONS_LIST, base.PROJECT_READER_OR_ADMIN, "List a server's actions.",
         [("GET", _IA)]),
    rule(ACTIONS_SHOW, base.PROJECT_READER_OR_ADMIN, "Show a server action.",
         [("GET", _IA + "/{request_id}")]),
    rule(ACTIONS_EVENTS, base.ADMIN, "See action events (below 2.51), tracebacks and hosts.",
         [("GET", _IA + "/{request_id}")]),
    rule(ACTIONS_EVENTS_DETAILS, base.ADMIN, "See event details (2.84).",
         [("GET", _IA + "/{request_id}")]),
    rule(EXTERNAL_EVENTS, base.ADMIN, "Send external events to servers.",
         [("POST", "/os-server-external-events")]),
    rule(MIGRATIONS_INDEX, base.PROJECT_MANAGER_OR_ADMIN, "List migrations.",
         [("GET", "/os-migrations")]),
    rule(MIGRATIONS_INDEX_ALL, base.ADMIN, "List migrations of all projects.",
         [("GET", "/os-migrations")]),
    rule(MIGRATIONS_INDEX_HOST, base.ADMIN, "See host fields of migrations.",
         [("GET", "/os-migrations")]),
    rule(SERVER_MIGRATIONS_INDEX, base.PROJECT_MANAGER_OR_ADMIN,
         "List a server's in-progress live migrations.",
         [("GET", "/servers/{server_id}/migrations")]),
    rule(SERVER_MIGRATIONS_SHOW, base.ADMIN, "Show a server's migration.",
         [("GET", "/servers/{server_id}/migrations/{migration_id}")]),
    rule(SERVER_GROUPS_CREATE, base.PROJECT_MEMBER_OR_ADMIN, "Create a server group.",
         [("POST", _SG)]),
    rule(SERVER_GROUPS_INDEX, base.PROJECT_READER_OR_ADMIN, "List server groups.",
         [("GET", _SG)]),
    rule(SERVER_GROUPS_INDEX_ALL, base.ADMIN, "List the server groups of all projects.",
         [("GET", _SG)]),
    rule(SERVER_GROUPS_SHOW, base.PROJECT_READER_OR_ADMIN, "Show a server group.",
         [("GET", _SG + "/{server_group_id}")]),
    rule(SERVER_GROUPS_DELETE, base.PROJECT_MEMBER_OR_ADMIN, "Delete a server group.",
         [("DELETE", _SG + "/{server_group_id}")]),
]
