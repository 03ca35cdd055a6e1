"""Engines per database URL, with SQLite tuned for concurrent service threads.

One registry lives in each process; every cell's engine is looked up by the URL stored in
its cell mapping, so a targeted context needs no global state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker as SessionMaker  # noqa: N812  (the method is sessionmaker)
from sqlalchemy.pool import StaticPool


def _tune_sqlite(engine: Engine, *, readonly: bool = False) -> None:
    # NOTE: pysqlite's own transaction handling issues a deferred BEGIN that upgrades to a
    # write lock mid-transaction and fails with "database is locked" under concurrency;
    # take the write lock up front with BEGIN IMMEDIATE instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    # Readers take no lock up front: WAL lets them run beside the one writer.
    begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"

    # NOTE: in place of pysqlite's do_begin (which does nothing) rather than through
    # exec_driver_sql in a "begin" event: every transaction runs it, and the statement
    # needs none of SQLAlchemy's execution machinery, which cost more than the BEGIN.
    # Errors are still wrapped as SQLAlchemy's, as do_begin's are.
    def _do_begin(dbapi_conn: Any) -> None:
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(begin)
        finally:
            cursor.close()

    engine.dialect.do_begin = _do_begin  # type: ignore[method-assign,assignment]


def make_engine(url: str, *, readonly: bool = False) -> Engine:
    """Create an engine for ``url`` with the settings Cirrus relies on."""
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(
                url, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
        _tune_sqlite(engine, readonly=readonly)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class EngineRegistry:
    """Engines and session factories keyed by URL, created on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[str, Engine] = {}
        self._makers: dict[str, SessionMaker[Session]] = {}
        self._readers: dict[str, SessionMaker[Session]] = {}

    def engine(self, url: str) -> Engine:
        """The engine for ``url``."""
        with self._lock:
            return self._engine_unlocked(url)

    def sessionmaker(self, url: str) -> SessionMaker[Session]:
        """The session factory for ``url``."""
        self.engine(url)
        return self._makers[url]

    def _reader_maker(self, url: str) -> SessionMaker[Session]:
        with self._lock:
            if url not in self._readers:
                if url.startswith("sqlite") and url not in ("sqlite://", "sqlite:///:memory:"):
                    engine = make_engine(url, readonly=True)
                    self._engines[f"reader:{url}"] = engine
                    self._readers[url] = SessionMaker(engine, expire_on_commit=False)
                else:
                    self._readers[url] = self._makers.get(url) or SessionMaker(
                        self._engine_unlocked(url), expire_on_commit=False)
            return self._readers[url]

    def _engine_unlocked(self, url: str) -> Engine:
        if url not in self._engines:
            self._engines[url] = make_engine(url)
            self._makers[url] = SessionMaker(self._engines[url], expire_on_commit=False)
        return self._engines[url]

    @contextmanager
    def reader(self, url: str) -> Iterator[Session]:
        """A read-only transaction that does not wait for writers (SQLite WAL)."""
        with self._reader_maker(url)() as sess:
            yield sess

    @contextmanager
    def session(self, url: str) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessionmaker(url).begin() as sess:
            yield sess

    def dispose(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
            self._makers.clear()
            self._readers.clear()
