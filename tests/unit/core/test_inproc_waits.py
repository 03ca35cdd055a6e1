"""The in-process transport's waits: long when idle, short when a message or a stop comes."""

import threading
import time
from collections.abc import Iterator

import kombu
import pytest

from cirrus.rpc import inproc


@pytest.fixture
def consumer(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[kombu.Connection, list[str]]]:
    monkeypatch.setattr(inproc, "_MIN_WAIT", 0.3)
    inproc.register()
    conn = kombu.Connection("inproc:///waits")
    queue = kombu.Queue(f"q-{time.monotonic_ns()}", kombu.Exchange("waits", "direct"),
                        routing_key="k")
    got: list[str] = []
    with conn.Consumer(queue, callbacks=[lambda body, msg: (got.append(body), msg.ack())]):
        yield conn, got
    conn.release()


def _drain(conn: kombu.Connection, timeout: float) -> float:
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        conn.drain_events(timeout=timeout)
    return time.monotonic() - start


def test_an_idle_short_wait_lasts_the_minimum(consumer: tuple[kombu.Connection, list[str]]) -> None:
    conn, _ = consumer
    assert 0.3 <= _drain(conn, 0.001) < 1.0


def test_a_message_ends_the_wait_at_once(consumer: tuple[kombu.Connection, list[str]]) -> None:
    conn, got = consumer

    def publish() -> None:
        time.sleep(0.05)
        with kombu.Connection("inproc:///waits") as other:
            other.Producer().publish("hello", exchange=kombu.Exchange("waits", "direct"),
                                     routing_key="k")

    threading.Thread(target=publish).start()
    start = time.monotonic()
    conn.drain_events(timeout=0.001)
    assert got == ["hello"]
    assert time.monotonic() - start < 0.25


def test_a_stop_under_way_hurries_every_wait(consumer: tuple[kombu.Connection, list[str]]) -> None:
    conn, _ = consumer
    with inproc.hurry():
        assert _drain(conn, 0.001) < 0.1
        assert _drain(conn, 5.0) < 0.1
    assert _drain(conn, 0.001) >= 0.3


def test_hurry_wakes_a_wait_already_begun(consumer: tuple[kombu.Connection, list[str]]) -> None:
    conn, _ = consumer
    took: list[float] = []
    waiting = threading.Thread(target=lambda: took.append(_drain(conn, 0.001)))
    waiting.start()
    time.sleep(0.05)
    with inproc.hurry():
        waiting.join(timeout=1.0)
    assert took and took[0] < 0.25
