#!/usr/bin/env bash
# Make sure PostgreSQL, MariaDB and RabbitMQ answer on loopback; start the ones that do not.
# Exits non-zero when one cannot be brought up: the real-services tests must fail, not skip.
set -u

up_pg()    { pg_isready -h 127.0.0.1 -p 5432 -q; }
up_maria() { mysqladmin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; }
up_rabbit() { rabbitmqctl -q status >/dev/null 2>&1 && (echo > /dev/tcp/127.0.0.1/5672) 2>/dev/null; }

start_pg()    { pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start; }
start_maria() { install -d -o mysql -g mysql /run/mysqld 2>/dev/null;
                start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql; }
start_rabbit() { rabbitmq-server -detached; }

ensure() {
  local name=$1 probe=$2 start=$3
  if $probe; then echo "$name: up"; return 0; fi
  echo "$name: down, starting"
  $start >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do
    if $probe; then echo "$name: up"; return 0; fi
    sleep 1
  done
  echo "$name: could not be started" >&2
  return 1
}

rc=0
ensure PostgreSQL up_pg start_pg || rc=1
ensure MariaDB up_maria start_maria || rc=1
ensure RabbitMQ up_rabbit start_rabbit || rc=1
exit $rc
