"""openstack-placement as a library: the real service, in this process or under gunicorn.

Our tokens are checked here and translated for placement's noauth2 strategy, so one
signing key protects every API of the deployment.
"""

import threading
from collections.abc import Callable, Iterable
from typing import Any

from oslo_config import cfg

from cirrus import exception
from cirrus.identity import tokens

_LOCK = threading.Lock()
_APP: Any = None


def _placement_conf(connection: str, sync: bool) -> cfg.ConfigOpts:
    from placement import conf as pconf

    conf = cfg.ConfigOpts()
    pconf.register_opts(conf)
    conf.set_override("connection", connection, group="placement_database")
    conf.set_override("sync_on_startup", sync, group="placement_database")
    if connection.startswith("sqlite"):
        # NOTE: placement's SQLite runs with a rollback journal; with synchronous writes
        # every allocation pays two fsyncs. The embedded mode trades crash durability of
        # the placement file for that; a deployment uses PostgreSQL or MariaDB.
        conf.set_override("sqlite_synchronous", False, group="placement_database")
    conf.set_override("auth_strategy", "noauth2", group="api")
    # NOTE: placement retries generation conflicts inside one DB transaction, which
    # over-allocates on PostgreSQL and MariaDB under concurrent claims. One attempt
    # there, and our client retries 409 concurrent_update instead.
    conf.set_override("allocation_conflict_retry_count", 1, group="placement")
    conf([], project="placement", default_config_files=[])
    return conf


class _CachedSchemas:
    """``jsonschema.validate`` with one validator per schema, for placement's request checks.

    Placement calls ``jsonschema.validate`` on every request body and query; that call
    re-checks the schema against the draft meta-schema and rebuilds the validator each
    time, which is over a third of the cost of an allocation write (reference
    dependencies.md §1.3). The schemas are placement's module constants, so checking them
    once is enough; what a request is validated against, and the error raised, are
    unchanged.
    """

    def __init__(self, module: Any) -> None:
        self._module = module
        self._validators: dict[tuple[int, Any], tuple[Any, Any]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def validate(self, instance: Any, schema: Any, cls: Any = None, *args: Any,
                 **kwargs: Any) -> None:
        """Validate like ``jsonschema.validate``; raises its ValidationError."""
        key = (id(schema), cls)
        with self._lock:
            entry = self._validators.get(key)
            if entry is None:
                kind = cls or self._module.validators.validator_for(schema)
                kind.check_schema(schema)
                # The schema is kept with its validator so its id cannot be reused.
                entry = self._validators[key] = (schema, kind(schema, *args, **kwargs))
        error = self._module.exceptions.best_match(entry[1].iter_errors(instance))
        if error is not None:
            raise error


def _speed_up_validation() -> None:
    import jsonschema
    from placement import util

    if not isinstance(util.jsonschema, _CachedSchemas):
        util.jsonschema = _CachedSchemas(jsonschema)


def _memoized(lookup: Callable[[Any, str], Any], slot: str) -> Callable[[Any, str], Any]:
    """``lookup(ctx, key)`` answered once per request for each key.

    The memo lives on placement's request context, which its auth middleware builds for
    every request, so nothing outlives the request that read it.
    """
    def wrapper(ctx: Any, key: str) -> Any:
        memo = ctx.__dict__.setdefault(slot, {})
        if key not in memo:
            memo[key] = lookup(ctx, key)
        return memo[key]

    wrapper.__wrapped__ = lookup  # type: ignore[attr-defined]
    return wrapper


def _share_lookups_within_requests() -> None:
    """One lookup per project, user and provider in a request, not one per consumer.

    ``POST /allocations`` (the scheduler's batched claim of concurrent boots) looks up
    the project, the user and every provider again for each consumer of the batch, each
    in a transaction of its own: most of the batch's cost when its consumers share them.
    The rows are the same for the whole request (projects and users are only ever added,
    and the provider's generation is re-read under the write that checks it), so later
    consumers of the request reuse the first lookup.
    """
    from placement.handlers import allocation
    from placement.handlers import util as data_util

    if hasattr(data_util._get_or_create_project, "__wrapped__"):
        return
    data_util._get_or_create_project = _memoized(data_util._get_or_create_project,
                                                 "_cirrus_projects")
    data_util._get_or_create_user = _memoized(data_util._get_or_create_user, "_cirrus_users")
    by_uuid = allocation._resource_providers_by_uuid

    def providers(ctx: Any, rp_uuids: Iterable[str]) -> dict[str, Any]:
        memo = ctx.__dict__.setdefault("_cirrus_providers", {})
        wanted = list(rp_uuids)
        missing = [u for u in wanted if u not in memo]
        if missing:
            memo.update(by_uuid(ctx, missing))
        return {u: memo[u] for u in wanted}

    allocation._resource_providers_by_uuid = providers


# Placement's modules whose every ``sa.alias`` call builds a statement that the same
# function executes, so no statement ever holds two aliases from different calls.
_ALIASING_MODULES = (
    "allocation", "allocation_candidate", "consumer", "inventory", "project",
    "research_context", "resource_provider", "trait", "user")


def _share_table_aliases() -> None:
    """Build each of placement's named table aliases once instead of at every query.

    Placement makes ``sa.alias(table, name=...)`` of its tables inside its query
    functions, and the first use of an alias's columns rebuilds a full Column (with
    its foreign keys and their event listeners) for every column of the table: about
    a tenth of an allocation write's CPU. An alias is an immutable FROM element that
    renders the same in every statement, so one per table and name serves every call.
    Each module gets its own ``sa`` whose ``alias`` keeps them; everything else in it
    is SQLAlchemy's.
    """
    import importlib
    import types

    import sqlalchemy

    for name in _ALIASING_MODULES:
        module = importlib.import_module(f"placement.objects.{name}")
        if getattr(module.sa, "_cirrus_shared_aliases", False):
            continue
        shared = types.ModuleType("sqlalchemy")
        shared.__dict__.update(sqlalchemy.__dict__)
        shared.alias = _alias_memo(sqlalchemy.alias)  # type: ignore[attr-defined]
        shared._cirrus_shared_aliases = True  # type: ignore[attr-defined]
        module.sa = shared  # type: ignore[attr-defined]


def _alias_memo(alias: Callable[..., Any]) -> Callable[..., Any]:
    aliases: dict[tuple[int, str | None], tuple[Any, Any]] = {}
    lock = threading.Lock()

    def shared_alias(selectable: Any, name: str | None = None, flat: bool = False) -> Any:
        if flat or name is None:
            return alias(selectable, name=name, flat=flat)
        key = (id(selectable), name)
        entry = aliases.get(key)
        if entry is None:
            with lock:
                entry = aliases.get(key)
                if entry is None:
                    made = alias(selectable, name=name)
                    made.c  # noqa: B018  (built before any thread can see the alias)
                    # The table is kept with its alias so its id cannot be reused.
                    entry = aliases[key] = (selectable, made)
        return entry[1]

    return shared_alias


class _Serialized:
    """Run one request at a time: SQLite behind placement fails "database is locked" else."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            return list(self._app(environ, start_response))


class TokenTranslator:
    """Validate a Cirrus token and hand placement the noauth2 identity it understands."""

    def __init__(self, app: Any, signing_key: str) -> None:
        self._app = app
        self._key = signing_key

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Replace X-Auth-Token with ``admin`` or ``user:project``; 401 when invalid."""
        path = environ.get("PATH_INFO", "")
        token = environ.get("HTTP_X_AUTH_TOKEN")
        if path in ("", "/") and not token:
            return self._app(environ, start_response)  # type: ignore[no-any-return]
        try:
            info = tokens.validate(self._key, token or "")
        except exception.InvalidToken:
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"errors": [{"status": 401, "title": "Unauthorized", '
                    b'"detail": "The request you have made requires authentication."}]}']
        if "admin" in info.roles:
            environ["HTTP_X_AUTH_TOKEN"] = "admin"  # noqa: S105  (noauth2's admin marker)
        else:
            environ["HTTP_X_AUTH_TOKEN"] = f"{info.user_id}:{info.project_id}"
        environ["HTTP_X_ROLES"] = ",".join(info.roles)
        return self._app(environ, start_response)  # type: ignore[no-any-return]


def _pool_sqlite_connections(engine: Any) -> None:
    """Keep placement's SQLite connections open between requests.

    oslo.db gives a SQLite file NullPool, so every transaction (and each of placement's
    independent inner transactions) opens a new connection and re-runs its set-up
    pragmas: about a dozen per allocation claim and release. A small pool of the same
    connections, with the same connect events, removes that. Requests are serialized on
    SQLite (``_Serialized``), so the pool only ever lends as many connections as one
    request nests transactions; no ping is needed for a local file.
    """
    from sqlalchemy import pool

    old = engine.pool
    if not isinstance(old, pool.NullPool):
        return
    engine.pool = pool.QueuePool(
        old._creator, pool_size=4, max_overflow=8, recycle=old._recycle, echo=old.echo,
        reset_on_return=old._reset_on_return, pre_ping=False, _dispatch=old.dispatch,
        dialect=old._dialect)
    old.dispose()


def load_placement(connection: str, sync: bool = True) -> Any:
    """The placement WSGI app on ``connection`` (once per process: placement's DB setup is).

    With ``sync`` placement brings its schema up to date first.
    """
    global _APP
    with _LOCK:
        if _APP is None:
            from placement import db_api, deploy

            pconf = _placement_conf(connection, sync)
            _speed_up_validation()
            _share_lookups_within_requests()
            _share_table_aliases()
            db_api.configure(pconf)
            # oslo.db sleeps at every connection check-in so eventlet's green threads get
            # a turn; with real threads it only hands the GIL away in mid-request, a
            # wait of up to a switch interval whenever another thread is busy.
            db_api.placement_context_manager.configure(thread_checkin=False)
            app = deploy.loadapp(pconf)
            if connection.startswith("sqlite"):
                _pool_sqlite_connections(db_api.get_placement_engine())
                app = _Serialized(app)
            _APP = app
        return _APP


def protected_app(connection: str, signing_key: str, sync: bool = True) -> Any:
    """Placement behind Cirrus token validation."""
    return TokenTranslator(load_placement(connection, sync), signing_key)
