"""[api_database], [database] and [services_database] groups."""

from oslo_config import cfg

API_DATABASE = cfg.OptGroup("api_database", help="The global API database.")
DATABASE = cfg.OptGroup(
    "database",
    help="The database of this service's cell (compute and cell conductor). The "
    "superconductor and scheduler find cell databases through the cell mappings.",
)
SERVICES_DATABASE = cfg.OptGroup(
    "services_database",
    help="Database of the global image, network and volume services.",
)

API_DATABASE_OPTS = [
    cfg.StrOpt("connection", secret=True, help="SQLAlchemy URL of the API database."),
]
DATABASE_OPTS = [
    cfg.StrOpt("connection", secret=True, help="SQLAlchemy URL of this cell's database."),
]
SERVICES_DATABASE_OPTS = [
    cfg.StrOpt("connection", secret=True, help="SQLAlchemy URL of the services database."),
]
