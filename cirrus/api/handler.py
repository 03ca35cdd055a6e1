"""Every URL of the compute API, as data (paths are relative to /compute)."""

from cirrus.api.handlers import server_actions, servers, versions
from cirrus.wsgi.routes import RouteTable

ROUTES: RouteTable = [
    ("/", {"GET": versions.list_versions}),
    ("/v2.1", {"GET": versions.get_version}),
    ("/v2.1/servers", {"GET": servers.list_servers, "POST": servers.create_server}),
    ("/v2.1/servers/detail", {"GET": servers.list_servers_detail}),
    ("/v2.1/servers/{server_id}", {"GET": servers.get_server, "PUT": servers.update_server,
                                   "DELETE": servers.delete_server}),
    ("/v2.1/servers/{server_id}/action", {"POST": server_actions.server_action}),
]

# Served without a token: clients discover versions before they authenticate.
PUBLIC_PATHS = (r"^/?$", r"^/v2\.1/?$", r"^/v2/?$")
