"""The test-only pause points are off by default and pause only where they are told."""

import threading

import pytest

from cirrus.conf import build_config
from cirrus.pause_points import PausePoints, wrap_endpoints
from cirrus.testing.waiters import wait_for


class _Endpoint:
    target = object()

    def __init__(self):
        self.calls = []

    def prep(self, ctxt):
        self.calls.append(("prep", ctxt))
        return "prepped"

    def other(self):
        self.calls.append("other")


def _conf(**testing):
    return build_config(overrides={"testing": testing} if testing else None)


def test_off_unless_configured():
    endpoint = _Endpoint()
    assert PausePoints.from_conf(_conf()) is None
    assert wrap_endpoints(_conf(), [endpoint]) == [endpoint]


def test_pause_at_needs_a_marker_dir():
    with pytest.raises(ValueError, match="pause_marker_dir"):
        PausePoints.from_conf(_conf(pause_at=["prep"]))


def test_named_method_pauses_after_writing_its_marker(tmp_path):
    endpoint = _Endpoint()
    (wrapped,) = wrap_endpoints(_conf(pause_at=["prep"], pause_marker_dir=str(tmp_path)),
                                [endpoint])
    assert wrapped.target is endpoint.target
    wrapped.other()
    assert endpoint.calls == ["other"]
    thread = threading.Thread(target=wrapped.prep, args=("ctx",), daemon=True)
    thread.start()
    wait_for((tmp_path / "prep").exists, 5, what="marker")
    thread.join(0.2)
    assert thread.is_alive() and endpoint.calls == ["other"]


def test_removing_the_marker_lets_the_method_go_on(tmp_path):
    endpoint = _Endpoint()
    (wrapped,) = wrap_endpoints(_conf(pause_at=["prep"], pause_marker_dir=str(tmp_path)),
                                [endpoint])
    result = []
    thread = threading.Thread(target=lambda: result.append(wrapped.prep("ctx")), daemon=True)
    thread.start()
    wait_for((tmp_path / "prep").exists, 5, what="marker")
    thread.join(0.3)
    assert thread.is_alive() and result == []
    (tmp_path / "prep").unlink()
    thread.join(5)
    assert result == ["prepped"] and endpoint.calls == [("prep", "ctx")]
