"""Cells stay apart on in-process transports through their topic names."""

from cirrus.rpc.transport import is_in_process, topic_for


def test_in_process_topics_are_prefixed_per_cell():
    assert topic_for("kombu+memory:///cell1", "compute") == "cell1.compute"
    assert topic_for("kombu+memory:///cell2", "compute") == "cell2.compute"
    assert topic_for("kombu+memory:///", "scheduler") == "top.scheduler"


def test_real_brokers_keep_nova_topics():
    assert topic_for("rabbit://guest:guest@127.0.0.1:5672/cell1", "compute") == "compute"
    assert not is_in_process("rabbit://h/")


def test_inproc_transport_is_in_process_and_prefixed():
    assert is_in_process("kombu+inproc:///cell1")
    assert topic_for("kombu+inproc:///cell1", "conductor") == "cell1.conductor"
