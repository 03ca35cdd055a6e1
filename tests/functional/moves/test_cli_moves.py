"""Resize, cold migrate, confirm and revert with the unmodified openstack CLI."""

import pytest

from tests.functional import helpers
from tests.functional.moves import helpers as mv
from tests.functional.test_cli import openstack, openstack_json

pytestmark = pytest.mark.cli


def test_moves_with_cli(cloud, member, admin, notifications):
    with mv.server(cloud, member, admin, "cli-moves") as server:
        source = mv.host_of(admin, server.id)
        dest = mv.other_host(source)

        with mv.awaiting(notifications, server.id, "instance.resize_finish.end"):
            openstack(cloud, "cirrus", "server", "resize", "--flavor", "m1.small", "--wait",
                      server.id)
        body = mv.show(cloud, admin, server.id)
        assert (body["status"], body["OS-EXT-SRV-ATTR:host"],
                body["flavor"]["original_name"]) == ("VERIFY_RESIZE", dest, "m1.small")
        mv.check(cloud, server.id)
        with mv.awaiting(notifications, server.id, "instance.resize_confirm.end"):
            openstack(cloud, "cirrus", "server", "resize", "confirm", server.id)
        helpers.wait_status(member, server.id, "ACTIVE")
        mv.check(cloud, server.id)

        with mv.awaiting(notifications, server.id, "instance.resize_finish.end"):
            openstack(cloud, "cirrus-admin", "server", "migrate", "--wait", server.id)
        assert mv.host_of(admin, server.id) == source
        with mv.awaiting(notifications, server.id, "instance.resize_revert.end"):
            openstack(cloud, "cirrus", "server", "resize", "revert", server.id)
        helpers.wait_status(member, server.id, "ACTIVE")
        assert mv.host_of(admin, server.id) == dest
        mv.check(cloud, server.id)

        with mv.awaiting(notifications, server.id, "instance.resize_finish.end"):
            openstack(cloud, "cirrus-admin", "--os-compute-api-version", "2.56", "server",
                      "migrate", "--host", source, "--wait", server.id)
        assert mv.host_of(admin, server.id) == source
        mv.confirm_and_wait(cloud, member, notifications, server.id)
        mv.check(cloud, server.id)

        rows = openstack_json(cloud, "cirrus-admin", "server", "migration", "list",
                              "--server", server.id)
        assert [(r["Server UUID"], r["Type"], r["Status"], r["Source Compute"],
                 r["Dest Compute"]) for r in rows] == [
            (server.id, "migration", "confirmed", dest, source),
            (server.id, "migration", "reverted", dest, source),
            (server.id, "resize", "confirmed", source, dest)]
        events = openstack_json(cloud, "cirrus", "server", "event", "list", server.id)
        assert [e["Action"] for e in events] == [
            "confirmResize", "migrate", "revertResize", "migrate", "confirmResize", "resize",
            "create"]
        assert {e["Server ID"] for e in events} == {server.id}
