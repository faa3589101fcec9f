#!/usr/bin/env bash
# Private, throw-away PostgreSQL cluster for tests.
#
#   scripts/pg.sh start DIR   init + start a cluster in DIR; the LAST stdout line is
#                             postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#   scripts/pg.sh stop DIR    fast shutdown, then remove DIR (safe to call twice or on a
#                             half-started DIR)
#
# PG_NO_FSYNC=1 starts the cluster with fsync=off and full_page_writes=off: a
# throw-away test cluster loses nothing it needs when the operating system
# does not flush (only a power cut would show it), and the tests stop waiting
# on the disk. It also sets wal_level=minimal: no WAL for a table created
# and filled in one transaction (each test database's migrations), and no
# archiving or replication, which no test uses; PostgreSQL's own CPU was a
# quarter of make test's. (synchronous_commit stays on: sqldb's tests check
# that the store's sessions commit durably and only the lazy pool does not.)
# make test sets it; benchmarks leave it unset, so their figures include the
# disk a deployment has.
#
# Binaries come from $PG_BINDIR, else /usr/lib/postgresql/15/bin (installed with apt when
# missing and we are root). PostgreSQL refuses to run as root, so as root the cluster runs
# as the `postgres` system user via runuser. Auth is trust on 127.0.0.1 / the socket in DIR.
# If PostgreSQL cannot be had, prints a SKIPPED banner on stderr and exits non-zero.
set -euo pipefail

PG_VERSION_WANTED=15

log() { echo "pg.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

skipped() {
	{
		echo
		echo "=================================================================="
		echo "  SKIPPED: PostgreSQL $*"
		echo "=================================================================="
		echo
	} >&2
	exit 3
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# run CMD... as the cluster owner (postgres when we are root, else ourselves)
as_owner() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/pg_ctl" ] && { echo "$PG_BINDIR"; return 0; }
		return 1
	fi
	if [ -x "/usr/lib/postgresql/$PG_VERSION_WANTED/bin/pg_ctl" ]; then
		echo "/usr/lib/postgresql/$PG_VERSION_WANTED/bin"
		return 0
	fi
	# any other installed major version, newest first
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn); do
		[ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	return 1
}

apt_install_pg() {
	is_root || return 1
	command -v apt-get >/dev/null 2>&1 || return 1
	export DEBIAN_FRONTEND=noninteractive
	log "PostgreSQL not found; installing it with apt-get"
	# Keep the Debian package from starting its own "main" cluster during install.
	local policy=/usr/sbin/policy-rc.d made_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
	fi
	local ok=1
	if [ "${HOTLINE_APT_UPDATED:-}" != 1 ]; then
		apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || true
	fi
	if apt-get -o DPkg::Lock::Timeout=300 install -y -q "postgresql-$PG_VERSION_WANTED" >&2 ||
		apt-get -o DPkg::Lock::Timeout=300 install -y -q postgresql >&2; then
		ok=0
	fi
	[ "$made_policy" = 1 ] && rm -f "$policy"
	return $ok
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if command -v ss >/dev/null 2>&1; then
			if [ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then continue; fi
		fi
		# connection refused => free
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
		echo "$p"
		return 0
	done
	return 1
}

cmd_start() {
	local dir=$1
	local bindir
	if ! bindir=$(find_bindir); then
		[ -z "${PG_BINDIR:-}" ] || skipped "(PG_BINDIR=$PG_BINDIR has no pg_ctl)"
		apt_install_pg || skipped "(no binaries in /usr/lib/postgresql/$PG_VERSION_WANTED/bin and could not apt-get install postgresql-$PG_VERSION_WANTED)"
		bindir=$(find_bindir) || skipped "(installed, but no pg_ctl found under /usr/lib/postgresql)"
	fi
	if is_root && ! id -u postgres >/dev/null 2>&1; then
		skipped "(running as root but there is no 'postgres' system user to run the server as)"
	fi

	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	[ -e "$dir/data/PG_VERSION" ] && die "$dir already holds a cluster; stop it first"
	if is_root; then
		chown postgres: "$dir"
		chmod 0700 "$dir"
		runuser -u postgres -- test -w "$dir" ||
			die "user postgres cannot write $dir (a parent folder is not searchable?); use a DIR under /tmp"
	fi
	echo "$bindir" >"$dir/bindir"
	as_owner mkdir -p "$dir/sock"

	log "initdb ($("$bindir/postgres" --version)) in $dir/data"
	if ! as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
		# older versions/images may lack C.UTF-8
		as_owner rm -rf "$dir/data"
		as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
			--encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	fi

	local extra=""
	if [ "${PG_NO_FSYNC:-0}" = 1 ]; then extra=" -c fsync=off -c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0"; fi

	local port attempt
	for attempt in 1 2 3 4 5; do
		port=$(free_port) || die "no free TCP port found"
		log "starting on 127.0.0.1:$port (attempt $attempt)"
		if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c shared_buffers=128MB -c max_connections=200$extra" \
			start >&2; then
			echo "$port" >"$dir/port"
			# pg_ctl -w already waited; double-check TCP really answers
			if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30; then
				log "ready"
				echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
				return 0
			fi
			as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
		fi
		tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
	done
	die "PostgreSQL did not start (log: $dir/server.log)"
}

cmd_stop() {
	local dir=$1
	[ -d "$dir" ] || { log "$dir does not exist; nothing to stop"; return 0; }
	local bindir=""
	[ -r "$dir/bindir" ] && bindir=$(cat "$dir/bindir")
	[ -n "$bindir" ] || bindir=$(find_bindir 2>/dev/null) || bindir=""
	if [ -f "$dir/data/postmaster.pid" ]; then
		if [ -n "$bindir" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2; then
			log "stopped"
		else
			# last resort: the postmaster pid recorded by this very cluster
			local pid
			pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
			if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
				log "pg_ctl stop failed; sending SIGQUIT to postmaster $pid"
				kill -QUIT "$pid" 2>/dev/null || true
				local i
				for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
				kill -KILL "$pid" 2>/dev/null || true
			fi
		fi
	fi
	rm -rf "$dir"
}

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }

[ $# -eq 2 ] || usage
case "$1" in
start) cmd_start "$2" ;;
stop) cmd_stop "$2" ;;
*) usage ;;
esac
