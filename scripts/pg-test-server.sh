#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests of the postgresql store.
#
#   scripts/pg-test-server.sh start   # init + start; prints the URL
#   scripts/pg-test-server.sh url     # prints the URL of the running server
#   scripts/pg-test-server.sh status  # exit 0 when running
#   scripts/pg-test-server.sh stop    # stop it and delete its data
#
# The server listens on 127.0.0.1 only (port PODIM_FLEET_PG_PORT, default
# 55432, or the next free one), has a database podim_fleet_test owned by the
# user podim_fleet (with CREATEDB, so tests may make their own databases, and
# CREATEROLE, so tests of the store's access control may create the roles of
# several controllers), and keeps its data in a temporary directory. The URL
#   postgresql://podim_fleet:PASSWORD@127.0.0.1:PORT/podim_fleet_test
# is written to tests/output/pg.url (and printed); the tests read it from the
# environment variable PODIM_FLEET_TEST_PG_URL.
#
# PODIM_FLEET_PG_SSL=1 also turns TLS on: a CA and a server certificate for
# the host name `localhost` (no IP address, so that a client checking the
# name against 127.0.0.1 fails) are made for this server only; the CA
# certificate is copied to STATE_DIR/ca.crt (clients: sslmode=verify-full
# sslrootcert=STATE_DIR/ca.crt, host=localhost or hostaddr=127.0.0.1).
#
# Needs Debian's postgresql package (installed through scripts/apt-install.sh
# when missing). initdb refuses to run as root: as root the server runs as the
# `postgres` system user the package creates.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# PODIM_FLEET_PG_STATE_DIR gives a run its own server (scripts/with-pg.sh and
# scripts/test-all.sh use one per run, so parallel runs do not stop each
# other's server); the URL is then written to that directory's pg.url.
if [ -n "${PODIM_FLEET_PG_STATE_DIR:-}" ]; then
    state_dir=$PODIM_FLEET_PG_STATE_DIR
    url_file="$state_dir/pg.url"
else
    state_dir="$repo/tests/output/pg"
    url_file="$repo/tests/output/pg.url"
fi
db=podim_fleet_test
db_user=podim_fleet

log() { echo "pg-test-server: $*" >&2; }
die() { log "$*"; exit 1; }

find_bindir() {
    local d
    for d in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

# Run a command as the server's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

# make_certs DIR: a throw-away CA and a server certificate for `localhost`
# signed by it (EC P-256, valid 2 days); the CA key is deleted once used.
make_certs() {
    local dir=$1
    command -v openssl >/dev/null || die "PODIM_FLEET_PG_SSL=1 needs openssl"
    mkdir -p "$dir"
    (
        cd "$dir"
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -keyout ca.key -out ca.crt -subj '/CN=podim.fleet test CA' \
            -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout server.key -out server.csr -subj '/CN=localhost'
        printf '%s\n' 'subjectAltName=DNS:localhost' 'basicConstraints=CA:FALSE' \
            'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
            -extfile server.ext -out server.crt
        rm -f ca.key server.csr server.ext ca.srl
        chmod 0644 ca.crt server.crt
    ) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; die "making the test certificates failed"; }
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

read_state() {
    [ -f "$state_dir/env" ] || return 1
    # shellcheck disable=SC1091
    . "$state_dir/env"
}

is_running() {
    read_state || return 1
    [ -f "$PG_DATA/postmaster.pid" ] || return 1
    kill -0 "$(head -1 "$PG_DATA/postmaster.pid")" 2>/dev/null
}

cmd_start() {
    if is_running; then
        log "already running (pid $(head -1 "$PG_DATA/postmaster.pid"))"
        cat "$url_file"
        return 0
    fi
    # Stale state from a server that died: clean it.
    cmd_stop >/dev/null 2>&1 || true

    local bindir
    if ! bindir=$(find_bindir); then
        "$repo/scripts/apt-install.sh" postgresql >&2
        bindir=$(find_bindir) || die "no PostgreSQL server binaries under /usr/lib/postgresql"
    fi

    owner=$(id -un)
    if [ "$(id -u)" = 0 ]; then
        owner=postgres
        id -u "$owner" >/dev/null 2>&1 || die "system user '$owner' missing (install the postgresql package)"
    fi

    local port=${PODIM_FLEET_PG_PORT:-55432}
    local last=$((port + 100))
    while port_in_use "$port"; do
        port=$((port + 1))
        [ "$port" -le "$last" ] || die "no free port up to $last"
    done

    local base password ssl_opts=''
    base=$(mktemp -d "${TMPDIR:-/tmp}/podim-fleet-pg.XXXXXX")
    chmod 0755 "$base"
    mkdir -p "$base/data" "$base/run"
    if [ "${PODIM_FLEET_PG_SSL:-0}" = 1 ]; then
        make_certs "$base/tls"
        ssl_opts="-c ssl=on -c ssl_cert_file=$base/tls/server.crt -c ssl_key_file=$base/tls/server.key"
    fi
    [ "$(id -u)" = 0 ] && chown -R "$owner:" "$base"
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

    mkdir -p "$state_dir" "$(dirname "$url_file")"
    chmod 0700 "$state_dir"
    cat >"$state_dir/env" <<STATE
PG_BASE='$base'
PG_DATA='$base/data'
PG_RUN='$base/run'
PG_BIN='$bindir'
PG_PORT='$port'
PG_OWNER='$owner'
PG_SSL='${PODIM_FLEET_PG_SSL:-0}'
STATE
    if [ -n "$ssl_opts" ]; then
        cp "$base/tls/ca.crt" "$state_dir/ca.crt"
    fi
    read_state

    log "initdb in $PG_DATA as $owner ($bindir)"
    (cd "$base" && as_owner "$bindir/initdb" -D "$PG_DATA" -U postgres \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$base/initdb.log" 2>&1) || { cat "$base/initdb.log" >&2; die "initdb failed"; }

    # another run may take the port between the check and the start: retry
    local try
    for try in 1 2 3 4 5; do
        if (cd "$base" && as_owner "$bindir/pg_ctl" -D "$PG_DATA" -l "$base/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_RUN -c fsync=off -c synchronous_commit=off -c full_page_writes=off $ssl_opts" \
            start >&2); then
            break
        fi
        if [ "$try" = 5 ] || ! port_in_use "$port"; then
            cat "$base/server.log" >&2
            die "server did not start"
        fi
        log "port $port was taken meanwhile: trying the next one"
        while port_in_use "$port"; do port=$((port + 1)); done
        sed -i "s/^PG_PORT=.*/PG_PORT='$port'/" "$state_dir/env"
        PG_PORT=$port
    done

    local psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$port" -U postgres -d postgres)
    (cd "$base" && as_owner "${psql[@]}" \
        -c "CREATE ROLE $db_user LOGIN CREATEDB CREATEROLE PASSWORD '$password'" \
        -c "CREATE DATABASE $db OWNER $db_user") >&2

    local url="postgresql://$db_user:$password@127.0.0.1:$port/$db"
    umask 077
    printf '%s\n' "$url" >"$url_file"
    log "running on 127.0.0.1:$port (pid $(head -1 "$PG_DATA/postmaster.pid")); URL in $url_file"
    echo "$url"
}

cmd_stop() {
    read_state || { log "not running (no state)"; rm -f "$url_file"; return 0; }
    owner=$PG_OWNER
    if [ -f "$PG_DATA/postmaster.pid" ]; then
        local pid
        pid=$(head -1 "$PG_DATA/postmaster.pid")
        if kill -0 "$pid" 2>/dev/null; then
            (cd "$PG_BASE" && as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >&2) || {
                log "pg_ctl stop failed; killing pid $pid"
                kill -TERM "$pid" 2>/dev/null || true
                sleep 2
                kill -KILL "$pid" 2>/dev/null || true
            }
        fi
    fi
    case "$PG_BASE" in
        */podim-fleet-pg.*) rm -rf "$PG_BASE" ;;
    esac
    rm -f "$state_dir/env" "$state_dir/ca.crt" "$url_file"
    if [ -n "${PODIM_FLEET_PG_STATE_DIR:-}" ]; then
        rmdir "$state_dir" 2>/dev/null || true
    fi
    log "stopped"
}

cmd_url() {
    is_running || die "not running (start it with: $0 start)"
    cat "$url_file"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    status) if is_running; then log "running on port $PG_PORT"; else log "not running"; exit 1; fi ;;
    *) die "usage: $0 start|stop|url|status" ;;
esac
