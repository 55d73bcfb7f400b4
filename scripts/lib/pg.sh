# Sourced by scripts/test-fleet and scripts/bench-fleet: a throwaway PostgreSQL server from
# Debian's `postgresql` package (installed if missing), in a temp data dir, on loopback.
#
#   pg_start            # sets PGBIN, PG_PORT, PG_URL, PG_WORK, PG_CTL (an array) and an EXIT trap
#   "${PG_CTL[@]}" -m fast -w restart
#
# initdb and the server refuse to run as root: as root they run as the `postgres` user.

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

pg_start() {
    if [ -z "$(pg_bin)" ]; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
        apt-get clean
    fi
    PGBIN=$(pg_bin)
    echo "PostgreSQL: $("$PGBIN/postgres" --version)"
    PG_WORK=$(mktemp -d /tmp/datafog-pg.XXXXXX)
    chmod 755 "$PG_WORK"
    local as_pg=()
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        as_pg=(runuser -u postgres --)
        chown postgres "$PG_WORK"
    fi
    "${as_pg[@]}" "$PGBIN/initdb" -D "$PG_WORK/data" -U datafog --auth=trust -E UTF8 >/dev/null
    PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    PG_CTL=("${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PG_WORK/data" -l "$PG_WORK/data/server.log"
        -o "-p $PG_PORT -k $PG_WORK -c listen_addresses=127.0.0.1 -c max_connections=100")
    "${PG_CTL[@]}" -w start >/dev/null
    trap pg_stop EXIT
    "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U datafog datafog
    PG_URL="postgres://datafog@127.0.0.1:$PG_PORT/datafog"
}

pg_stop() {
    "${PG_CTL[@]}" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_WORK"
}
