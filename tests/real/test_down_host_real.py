"""A compute that stops heartbeating is down: os-services says so, the scheduler skips it,
and a move off it is refused with 409, as in Nova. Started again, it is up."""

import signal

import pytest

from cirrus.testing.waiters import wait_for
from tests.real import helpers as h

DOWN = "cell1-host1"


def _state(real, host):
    rows = h.cli(real, "admin", "compute", "service", "list", "--service", "cirrus-compute",
                 "--host", host, "-f", "json")
    (row,) = rows
    return row["State"]


# Heartbeats and the down check do not depend on the database engine: PostgreSQL only,
# to keep the real tier's time in budget.
@pytest.mark.postgresql_only
def test_dead_compute_is_down_skipped_and_not_moved(real):
    admin = h.conn(real, "admin")
    stranded = h.boot(admin, "down-stranded", DOWN)
    other = h.boot(admin, "down-other", "cell1-host2")
    assert _state(real, DOWN) == "up"
    real.kill(DOWN, signal.SIGKILL)
    try:
        wait_for(lambda: _state(real, DOWN) == "down", 60, interval=1, what=f"{DOWN} down")
        # Moves off the down host are refused before anything starts.
        out = h.cli(real, "admin", "server", "resize", "--flavor", "m1.small", stranded.id,
                    check=False)
        assert out.returncode != 0 and "409" in out.stderr, out.stderr
        assert "Service is unavailable at this time." in out.stderr
        resp = admin.compute.post(f"/servers/{stranded.id}/action", json={"migrate": None})
        assert resp.status_code == 409, resp.text
        assert resp.json() == {"conflictingRequest": {
            "code": 409, "message": "Service is unavailable at this time."}}
        # The weighers spread new servers by free RAM: six of them on four hosts would
        # bring every host to two. None goes to the down host.
        booted = []
        for i in range(6):
            server = admin.compute.create_server(
                name=f"down-new{i}", flavor_id="1", image_id=h.cirros(admin).id,
                networks="none")
            booted.append(admin.compute.wait_for_server(server, wait=120, interval=0.5))
        hosts = {s.compute_host for s in booted}
        assert DOWN not in hosts and len(hosts) >= 2, hosts
        # A migration aimed at the down host finds no valid host; the server stays put.
        admin.compute.migrate_server(other, host=DOWN)
        wait_for(lambda: [m[1] for m in h.migrations(admin, other.id)] == ["error"], 60,
                 interval=0.5, what="migration to a down host failed")
        assert h.wait_status(admin, other.id, "ACTIVE").compute_host == "cell1-host2"
        assert h.migrations(admin, stranded.id) == []
    finally:
        real.restart(DOWN)
    wait_for(lambda: _state(real, DOWN) == "up", 60, interval=1, what=f"{DOWN} up again")
    # Back up, the stranded server moves again.
    admin.compute.migrate_server(stranded, host="cell1-host2")
    assert h.wait_status(admin, stranded.id, "VERIFY_RESIZE").compute_host == "cell1-host2"
    admin.compute.confirm_server_resize(stranded)
    h.wait_status(admin, stranded.id, "ACTIVE")
    for server in [stranded, other, *booted]:
        h.delete(admin, server)
    real.check_alive()
