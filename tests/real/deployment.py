"""A two-cell deployment of separate processes on RabbitMQ and PostgreSQL or MariaDB."""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from cirrus.testing.waiters import wait_for

BIN = Path(sys.executable).parent
RABBIT = "rabbit://guest:guest@127.0.0.1:5672"
BACKENDS = {
    "postgresql": ("postgresql+psycopg2://postgres@127.0.0.1:5432/{db}",
                   "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/{db}?charset=utf8mb4",
                "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}
CELLS = ("cell1", "cell2")
HOSTS = {cell: [f"{cell}-host1", f"{cell}-host2"] for cell in CELLS}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def _run(*command):
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _ok(*command):
    return subprocess.run(command, check=False, capture_output=True, timeout=60).returncode == 0


class RealDeployment:
    """Creates databases and vhosts, configures and runs every service as a process."""

    def __init__(self, backend, workdir: Path):
        self.backend = backend
        self.workdir = workdir
        self.tag = secrets.token_hex(3)
        self.procs = {}
        self.commands = {}
        self.port = free_port()
        self.placement_port = free_port()
        self.url_tpl, self.admin_url = BACKENDS[backend]
        names = ["api", "services", "placement", "cell0", *CELLS]
        self.dbs = {n: f"cirrus_{self.tag}_{n}" for n in names}
        self.vhosts = {n: f"cirrus_{self.tag}_{n}" for n in ("top", *CELLS)}

    def db_url(self, name):
        return self.url_tpl.format(db=self.dbs[name])

    # -- infrastructure -------------------------------------------------------------

    def create_infra(self):
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for db in self.dbs.values():
                conn.execute(sa.text(f"CREATE DATABASE {db}"))
        engine.dispose()
        for vhost in self.vhosts.values():
            rabbitmqctl("add_vhost", vhost)
            rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    def drop_connections(self):
        """End every PostgreSQL session on this deployment's databases, as a restart of
        the server would (the server itself is shared with other work on the machine)."""
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for db in self.dbs.values():
                conn.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{db}'"))
        engine.dispose()

    def drop_infra(self):
        if self.backend == "postgresql":
            self.drop_connections()
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for db in self.dbs.values():
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {db}"))
        engine.dispose()
        for vhost in self.vhosts.values():
            with contextlib.suppress(subprocess.CalledProcessError):
                rabbitmqctl("delete_vhost", vhost)

    # -- configuration ---------------------------------------------------------------

    def write_config(self):
        base = self.workdir / "cirrus.conf"
        endpoint = f"http://127.0.0.1:{self.port}"
        placement = f"http://127.0.0.1:{self.placement_port}"
        base.write_text(f"""[DEFAULT]
transport_url = {RABBIT}/{self.vhosts['top']}
state_path = {self.workdir}
report_interval = 2
service_down_time = 10
# A cross-cell step waits this long for a compute that died under it (crash tests).
long_rpc_timeout = 30
rpc_response_timeout = 30
# Servers left in a task_state by a message the broker lost are settled this soon.
task_state_timeout = 20
# Guests' disks are files under state_path: a compute killed and started again finds its
# guests, as a real hypervisor's would survive its compute service.
compute_driver = local
[local_driver]
local_gb = 100
[api_database]
connection = {self.db_url('api')}
[services_database]
connection = {self.db_url('services')}
[placement_database]
connection = {self.db_url('placement')}
[token]
signing_key = {secrets.token_urlsafe(24)}
[keystone]
public_endpoint = {endpoint}
[wsgi]
bind_port = {self.port}
workers = 2
threads = 8
[placement]
endpoint_override = {placement}
[placement_wsgi]
bind_port = {self.placement_port}
workers = 2
[oslo_messaging_notifications]
driver = messagingv2
""")
        clients = self.workdir / "clients.conf"
        clients.write_text(f"""[glance]
endpoint_override = {endpoint}/image
[neutron]
endpoint_override = {endpoint}/network
[cinder]
endpoint_override = {endpoint}/volume
""")
        for cell in CELLS:
            (self.workdir / f"{cell}.conf").write_text(f"""[DEFAULT]
transport_url = {RABBIT}/{self.vhosts[cell]}
[database]
connection = {self.db_url(cell)}
""")
        # Found next to the config file, as oslo.policy looks for it.
        (self.workdir / "policy.yaml").write_text(
            '"compute:servers:resize:cross_cell": "rule:admin_api"\n')
        self.base, self.clients = base, clients

    def manage(self, *args):
        cmd = [str(BIN / "cirrus-manage"), "--config-file", str(self.base), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
        assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def setup_databases(self):
        self.manage("api_db_sync")
        self.manage("services_db_sync")
        self.manage("placement_db_sync")
        self.manage("map_cell0", "--database-connection", self.db_url("cell0"))
        for cell in CELLS:
            self.manage("create_cell", "--name", cell, "--transport-url",
                        f"{RABBIT}/{self.vhosts[cell]}", "--database-connection",
                        self.db_url(cell))
        self.admin_password = secrets.token_urlsafe(12)
        # The "--opt=value" form: a generated value may start with "-".
        self.manage("bootstrap", f"--admin-password={self.admin_password}")
        self.manage("project_create", "demo")
        self.demo_password = secrets.token_urlsafe(12)
        self.manage("user_create", "demo", f"--password={self.demo_password}")
        for role in ("member", "reader"):
            self.manage("role_add", "--user", "demo", "--project", "demo", "--role", role)
        self.manage("flavor_defaults")

    # -- processes ------------------------------------------------------------------

    def spawn(self, name, binary, *configs, args=()):
        cmd = [str(BIN / binary)]
        for conf in configs:
            cmd += ["--config-file", str(conf)]
        self.commands[name] = [*cmd, *args]
        self.run(name)

    def run(self, name, *extra_configs):
        """Start (or start again) the process ``name``; its log is appended to."""
        log = (self.workdir / f"{name}.log").open("a")
        cmd = list(self.commands[name])
        for conf in extra_configs:
            cmd += ["--config-file", str(conf)]
        self.procs[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                             env=dict(os.environ, PYTHONUNBUFFERED="1")), log)

    def kill(self, name, sig=signal.SIGKILL):
        """Kill ``name`` as a crash would: no clean-up runs."""
        proc, log = self.procs[name]
        proc.send_signal(sig)
        proc.wait(timeout=30)
        log.close()

    def restart(self, name, *extra_configs):
        """Kill ``name`` if it still runs, then start it again (same flags)."""
        if self.procs[name][0].poll() is None:
            self.kill(name)
        self.run(name, *extra_configs)

    def start(self):
        self.spawn("placement", "cirrus-placement", self.base)
        self.wait_http(self.placement_port, "/")
        self.spawn("api", "cirrus-api", self.base)
        self.wait_http(self.port, "/compute/v2.1")
        self.spawn("scheduler", "cirrus-scheduler", self.base, self.clients)
        self.spawn("superconductor", "cirrus-conductor", self.base, self.clients)
        for cell in CELLS:
            cell_conf = self.workdir / f"{cell}.conf"
            self.spawn(f"{cell}-conductor", "cirrus-conductor", self.base, self.clients,
                       cell_conf, args=["--cell", cell])
            for host in HOSTS[cell]:
                self.spawn(host, "cirrus-compute", self.base, self.clients, cell_conf,
                           args=["--host", host])
        self.wait_computes()
        out = self.manage("discover_hosts")
        assert out.count("Mapped") == 4, out

    @contextlib.contextmanager
    def paused_at(self, name, point):
        """``name`` runs with the test hook that pauses it at ``point``; the block gets a
        function that waits until it is paused there (its ``release`` lets it go on).
        On leaving, the process is killed (SIGKILL, wherever it is) and started again
        without the hook."""
        marker_dir = self.workdir / "paused"
        marker = marker_dir / point
        marker.unlink(missing_ok=True)
        hook = self.workdir / f"pause-{name}.conf"
        hook.write_text(f"[testing]\npause_at = {point}\npause_marker_dir = {marker_dir}\n")
        self.restart(name, hook)

        def wait(timeout=120):
            deadline = time.monotonic() + timeout
            while not marker.exists():
                self.check_alive()
                assert time.monotonic() < deadline, f"{name} never reached {point}"
                time.sleep(0.2)

        wait.release = marker.unlink
        try:
            yield wait
        finally:
            self.restart(name)

    def restart_broker(self):
        """Stop RabbitMQ's node and start it again, as an operator's restart does: every
        connection goes, and with them the transient queues and what they held."""
        _run("rabbitmqctl", "-q", "stop")
        _run("rabbitmq-server", "-detached")
        wait_for(lambda: _ok("rabbitmqctl", "-q", "await_startup"), 120, interval=0.5,
                 what="RabbitMQ back after its restart")

    def restart_database(self):
        """Restart the PostgreSQL server (fast shutdown: sessions are ended, in-flight
        transactions rolled back), as an operator's restart does."""
        assert self.backend == "postgresql", self.backend
        (version,) = (p.name for p in Path("/etc/postgresql").iterdir())
        _run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart",
             "-m", "fast")
        wait_for(lambda: _ok("pg_isready", "-h", "127.0.0.1", "-q"), 120, interval=0.5,
                 what="PostgreSQL back after its restart")

    def wait_http(self, port, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(f"http://127.0.0.1:{port}{path}").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"nothing answers on port {port}\n" + self.logs())

    def wait_computes(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            count = 0
            for cell in CELLS:
                engine = sa.create_engine(self.db_url(cell))
                with engine.connect() as conn:
                    count += conn.execute(sa.text(
                        "SELECT count(*) FROM compute_nodes WHERE deleted = 0")).scalar()
                engine.dispose()
            if count == 4:
                return
            time.sleep(0.5)
        raise AssertionError("computes did not register\n" + self.logs())

    def check_alive(self):
        dead = {n: p.returncode for n, (p, _) in self.procs.items() if p.poll() is not None}
        if dead:
            raise AssertionError(f"processes exited: {dead}\n" + self.logs())

    def logs(self, lines=40):
        out = []
        for name in self.procs:
            path = self.workdir / f"{name}.log"
            tail = path.read_text().splitlines()[-lines:] if path.exists() else []
            out.append(f"--- {name} ---\n" + "\n".join(tail))
        return "\n".join(out)

    def stop(self):
        for proc, _ in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc, log in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()

    def clouds_yaml(self):
        path = self.workdir / "clouds.yaml"
        auth = f"http://127.0.0.1:{self.port}/identity"
        path.write_text(f"""clouds:
  admin:
    auth: {{auth_url: {auth}, username: admin, password: "{self.admin_password}",
            project_name: admin, user_domain_name: Default, project_domain_name: Default}}
    identity_api_version: 3
  demo:
    auth: {{auth_url: {auth}, username: demo, password: "{self.demo_password}",
            project_name: demo, user_domain_name: Default, project_domain_name: Default}}
    identity_api_version: 3
""")
        return path
