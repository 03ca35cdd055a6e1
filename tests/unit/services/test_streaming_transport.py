"""The in-process HTTP client streams request bodies to the app instead of buffering them."""

import pytest

from cirrus.wsgi.server import inprocess_client

MiB = 1 << 20


def _app_reading(log):
    def app(environ, start_response):
        body = environ["wsgi.input"]
        while data := body.read(MiB):
            log.append(("read", len(data)))
        log.append(("length", environ.get("CONTENT_LENGTH")))
        start_response("204 No Content", [])
        return []
    return app


def test_iterator_body_is_read_as_it_is_produced():
    log = []

    def body():
        for _ in range(3):
            log.append(("produced", MiB))
            yield b"x" * MiB

    client = inprocess_client(_app_reading(log), "http://test")
    assert client.put("/f", content=body()).status_code == 204
    # Produced and consumed in turn: never more than a chunk ahead of the app.
    assert log == [("produced", MiB), ("read", MiB)] * 3 + [("length", None)]


def test_bytes_body_keeps_its_length():
    log = []
    client = inprocess_client(_app_reading(log), "http://test")
    assert client.put("/f", content=b"abc").status_code == 204
    assert log == [("read", 3), ("length", "3")]


def test_failing_body_reaches_the_caller():
    def body():
        yield b"x"
        raise OSError(5, "read failed")

    client = inprocess_client(_app_reading([]), "http://test")
    with pytest.raises(OSError, match="read failed"):
        client.put("/f", content=body())
