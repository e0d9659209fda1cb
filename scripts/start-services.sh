#!/usr/bin/env bash
# start-services.sh: start the local database servers the tests use when
# they are down (PostgreSQL and MariaDB for the SQL sync tests, NATS with
# JetStream for the cluster tests). On the
# project's machines they run from boot; CI and a fresh machine may find
# one stopped. Idempotent; needs root (CI runs as root). A server that is
# not installed is reported, and the tests that need it fail clearly.
set -u

up() { # host port
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_up() { # name host port
	i=0
	while [ $i -lt 60 ]; do
		up "$2" "$3" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	echo "start-services: $1 did not come up on $2:$3" >&2
	return 1
}

if ! up 127.0.0.1 5432; then
	if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
		echo "start-services: starting PostgreSQL"
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
		wait_up PostgreSQL 127.0.0.1 5432
	else
		echo "start-services: PostgreSQL is not installed" >&2
	fi
fi

if ! up 127.0.0.1 3306; then
	if [ -x /usr/sbin/mariadbd ]; then
		echo "start-services: starting MariaDB"
		start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
		wait_up MariaDB 127.0.0.1 3306
	else
		echo "start-services: MariaDB is not installed" >&2
	fi
fi
if ! up 127.0.0.1 4222; then
	if [ -x /usr/sbin/nats-server ]; then
		echo "start-services: starting NATS (JetStream)"
		mkdir -p /var/lib/nats-server
		start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
		wait_up NATS 127.0.0.1 4222
	else
		echo "start-services: nats-server is not installed" >&2
	fi
fi
exit 0
