"""Server rules (nova/policies/servers.py and migrate_server.py names)."""

from cirrus.policy import base
from cirrus.policy.base import rule

PREFIX = "os_compute_api:servers:%s"
INDEX = PREFIX % "index"
INDEX_ALL_TENANTS = PREFIX % "index:get_all_tenants"
DETAIL = PREFIX % "detail"
DETAIL_ALL_TENANTS = PREFIX % "detail:get_all_tenants"
SHOW = PREFIX % "show"
SHOW_HOST_STATUS = PREFIX % "show:host_status"
SHOW_FLAVOR_EXTRA_SPECS = PREFIX % "show:flavor-extra-specs"
CREATE = PREFIX % "create"
CREATE_FORCED_HOST = PREFIX % "create:forced_host"
CREATE_ATTACH_NETWORK = PREFIX % "create:attach_network"
CREATE_ATTACH_VOLUME = PREFIX % "create:attach_volume"
CREATE_ZERO_DISK_FLAVOR = PREFIX % "create:zero_disk_flavor"
REQUESTED_DESTINATION = "compute:servers:create:requested_destination"
DELETE = PREFIX % "delete"
UPDATE = PREFIX % "update"
RESIZE = PREFIX % "resize"
CONFIRM_RESIZE = PREFIX % "confirm_resize"
REVERT_RESIZE = PREFIX % "revert_resize"
REBOOT = PREFIX % "reboot"
START = PREFIX % "start"
STOP = PREFIX % "stop"
CROSS_CELL_RESIZE = "compute:servers:resize:cross_cell"
EXTENDED_ATTRIBUTES = "os_compute_api:os-extended-server-attributes"
MIGRATE = "os_compute_api:os-migrate-server:migrate"
MIGRATE_HOST = "os_compute_api:os-migrate-server:migrate:host"

_S = "/servers"
_ID = "/servers/{server_id}"
_ACT = "/servers/{server_id}/action"

RULES = [
    rule(INDEX, base.PROJECT_READER_OR_ADMIN, "List servers.", [("GET", _S)]),
    rule(DETAIL, base.PROJECT_READER_OR_ADMIN, "List servers with details.",
         [("GET", "/servers/detail")]),
    rule(INDEX_ALL_TENANTS, base.ADMIN, "List servers of all projects.", [("GET", _S)]),
    rule(DETAIL_ALL_TENANTS, base.ADMIN, "List server details of all projects.",
         [("GET", "/servers/detail")]),
    rule(SHOW, base.PROJECT_READER_OR_ADMIN, "Show a server.", [("GET", _ID)]),
    rule(SHOW_HOST_STATUS, base.ADMIN, "Show host_status in server views (2.16).",
         [("GET", _ID), ("GET", "/servers/detail")]),
    rule(SHOW_FLAVOR_EXTRA_SPECS, base.PROJECT_READER_OR_ADMIN,
         "Show flavor extra specs in server views (2.47).", [("GET", _ID)]),
    rule(CREATE, base.PROJECT_MEMBER_OR_ADMIN, "Create a server.", [("POST", _S)]),
    rule(CREATE_FORCED_HOST, base.ADMIN, "Create a server on a named host.", [("POST", _S)]),
    rule(CREATE_ATTACH_NETWORK, base.PROJECT_MEMBER_OR_ADMIN,
         "Create a server with networks.", [("POST", _S)]),
    rule(CREATE_ATTACH_VOLUME, base.PROJECT_MEMBER_OR_ADMIN,
         "Create a server with volumes.", [("POST", _S)]),
    rule(CREATE_ZERO_DISK_FLAVOR, base.ADMIN,
         "Boot an image-backed server with a zero-disk flavor.", [("POST", _S)]),
    rule(REQUESTED_DESTINATION, base.ADMIN, "Create a server on a requested host or node.",
         [("POST", _S)]),
    rule(DELETE, base.PROJECT_MEMBER_OR_ADMIN, "Delete a server.", [("DELETE", _ID)]),
    rule(UPDATE, base.PROJECT_MEMBER_OR_ADMIN, "Update a server.", [("PUT", _ID)]),
    rule(RESIZE, base.PROJECT_MEMBER_OR_ADMIN, "Resize a server.", [("POST", _ACT)]),
    rule(CONFIRM_RESIZE, base.PROJECT_MEMBER_OR_ADMIN, "Confirm a resize.", [("POST", _ACT)]),
    rule(REVERT_RESIZE, base.PROJECT_MEMBER_OR_ADMIN, "Revert a resize.", [("POST", _ACT)]),
    rule(REBOOT, base.PROJECT_MEMBER_OR_ADMIN, "Reboot a server.", [("POST", _ACT)]),
    rule(START, base.PROJECT_MEMBER_OR_ADMIN, "Start a server.", [("POST", _ACT)]),
    rule(STOP, base.PROJECT_MEMBER_OR_ADMIN, "Stop a server.", [("POST", _ACT)]),
    rule(CROSS_CELL_RESIZE, base.RULE_NOBODY,
         "Resize or cold migrate a server across cells. Denied to everyone by default; a "
         "denial keeps the move inside the server's cell.", [("POST", _ACT)]),
    rule(EXTENDED_ATTRIBUTES, base.ADMIN, "Show OS-EXT-SRV-ATTR fields in server views.",
         [("GET", _ID), ("GET", "/servers/detail")]),
    rule(MIGRATE, base.PROJECT_MANAGER_OR_ADMIN, "Cold migrate a server.", [("POST", _ACT)]),
    rule(MIGRATE_HOST, base.ADMIN, "Cold migrate a server to a named host.",
         [("POST", _ACT)]),
]
