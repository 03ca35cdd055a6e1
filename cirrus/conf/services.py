"""Where this process finds the global services: Placement, identity, image, network, volume.

An empty endpoint means the service runs inside this process and is reached through an
in-process HTTP transport; a URL means a separate deployment.
"""

from oslo_config import cfg

PLACEMENT = cfg.OptGroup("placement", help="The Placement service.")
PLACEMENT_DATABASE = cfg.OptGroup(
    "placement_database", help="Placement's database when it runs in this process."
)
GLANCE = cfg.OptGroup("glance", help="The image service.")
NEUTRON = cfg.OptGroup("neutron", help="The network service.")
CINDER = cfg.OptGroup("cinder", help="The volume service.")
KEYSTONE = cfg.OptGroup("keystone", help="The identity service.")
TOKEN = cfg.OptGroup("token", help="Token issue and validation.")
SERVICE_USER = cfg.OptGroup(
    "service_user", help="The account services use to call each other."
)
API = cfg.OptGroup("api", help="The compute API.")
WSGI = cfg.OptGroup("wsgi", help="HTTP serving.")

FAKE_DRIVER = cfg.OptGroup("fake_driver", help="Size of the hosts of the fake driver.")
FAKE_DRIVER_OPTS = [
    cfg.IntOpt("vcpus", default=16, min=1, help="Physical CPUs of each fake host."),
    cfg.IntOpt("memory_mb", default=32768, min=1, help="Memory of each fake host."),
    cfg.IntOpt("local_gb", default=500, min=1, help="Disk of each fake host."),
]

LOCAL_DRIVER = cfg.OptGroup(
    "local_driver", help="The local disk driver: guests' disks are files on the host."
)
LOCAL_DRIVER_OPTS = [
    cfg.StrOpt(
        "instances_path",
        default="$state_path/instances",
        help="Directory holding one directory per compute host. Same-cell moves copy "
        "disks between host directories, so every host of a cell must see it.",
    ),
    cfg.IntOpt("vcpus", default=16, min=1, help="Physical CPUs each host reports."),
    cfg.IntOpt("memory_mb", default=32768, min=1, help="Memory each host reports."),
    cfg.IntOpt(
        "local_gb",
        default=0,
        min=0,
        help="Disk each host offers, in GiB; 0 means the size of the filesystem of "
        "instances_path.",
    ),
    cfg.IntOpt(
        "reserved_host_disk_mb",
        default=0,
        min=0,
        help="Free space on the filesystem of instances_path that disk writes leave alone.",
    ),
]

PLACEMENT_OPTS = [
    cfg.StrOpt(
        "endpoint_override",
        help="Placement URL (as served by cirrus-placement); also the URL the service "
        "catalog gives clients. Empty runs Placement inside cirrus-api, under /placement.",
    ),
    cfg.IntOpt(
        "conflict_retries",
        default=4,
        min=0,
        help="Times a write that lost a consumer or provider generation race is retried.",
    ),
]
PLACEMENT_DATABASE_OPTS = [
    cfg.StrOpt("connection", secret=True, help="SQLAlchemy URL for in-process Placement."),
]


def _endpoint(service: str) -> cfg.StrOpt:
    return cfg.StrOpt(
        "endpoint_override",
        help=f"URL of the {service} service; empty runs it in this process.",
    )


GLANCE_OPTS = [
    _endpoint("image"),
    cfg.StrOpt(
        "filesystem_store_datadir",
        help="Directory for image data when the image service runs here; defaults to "
        "$state_path/images.",
    ),
    cfg.StrOpt(
        "hashing_algorithm",
        default="sha256",
        help="Algorithm of the images' os_hash_value when the image service runs here "
        "(Glance's option of the same name; any hashlib algorithm such as sha256, "
        "sha384, sha512 or blake2b). sha256 is the default rather than Glance's sha512 "
        "because CPUs with SHA extensions hash it several times as fast; clients check "
        "with the algorithm each image names in os_hash_algo.",
    ),
]
NEUTRON_OPTS = [_endpoint("network")]
CINDER_OPTS = [_endpoint("volume")]
KEYSTONE_OPTS = [
    _endpoint("identity"),
    cfg.StrOpt(
        "public_endpoint",
        default="http://127.0.0.1:8774",
        help="Base URL placed in the service catalog; every API path hangs under it.",
    ),
    cfg.StrOpt("region_name", default="RegionOne", help="Region of the catalog endpoints."),
]
TOKEN_OPTS = [
    cfg.StrOpt(
        "signing_key",
        secret=True,
        help="Shared secret that signs tokens. Every API-tier process must have the same "
        "one. Required.",
    ),
    cfg.IntOpt("expiration", default=3600, min=1, help="Token lifetime in seconds."),
]
SERVICE_USER_OPTS = [
    cfg.StrOpt("username", default="cirrus", help="Service account name."),
    cfg.StrOpt("project_name", default="service", help="Service account project."),
]
API_OPTS = [
    cfg.IntOpt("max_limit", default=1000, min=1, help="Most items one list call returns."),
    cfg.IntOpt(
        "list_cell_timeout",
        default=60,
        min=1,
        help="Seconds a server list waits for one cell before leaving it out.",
    ),
]
WSGI_OPTS = [
    cfg.HostAddressOpt("bind_host", default="127.0.0.1", help="Address the API listens on."),
    cfg.PortOpt("bind_port", default=8774, help="Port the API listens on."),
    cfg.IntOpt("threads", default=16, min=1,
               help="Request threads of the built-in server, or of each worker process."),
    cfg.IntOpt(
        "workers",
        default=0,
        min=0,
        help="Worker processes serving the API under gunicorn; 0 serves from this "
        "process with the built-in threaded server (one process, as the all-in-one).",
    ),
]
PLACEMENT_WSGI = cfg.OptGroup(
    "placement_wsgi", help="HTTP serving of Placement by cirrus-placement (under gunicorn)."
)
PLACEMENT_WSGI_OPTS = [
    cfg.HostAddressOpt("bind_host", default="127.0.0.1", help="Address Placement listens on."),
    cfg.PortOpt("bind_port", default=8778, help="Port Placement listens on."),
    cfg.IntOpt("workers", default=2, min=1,
               help="Worker processes; more than one needs PostgreSQL or MariaDB."),
    cfg.IntOpt("threads", default=8, min=1, help="Request threads of each worker."),
]
