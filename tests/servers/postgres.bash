# SPDX-License-Identifier: MIT
# PostgreSQL 15 (Debian postgresql-15) as a private server with SSL (the
# SSLRequest upgrade): initdb into DIR/data and
#   postgres -D DIR/data -k DIR/sock -p PORT -h 127.0.0.1 -c ssl=on ...
# run as the "postgres" system user (postgres refuses to run as root), via
# setpriv, which execs: the PID is the postmaster's.  Superuser "postgres",
# trust authentication (no password), database "postgres".  initdb (2-3 s
# here) runs once per bats file: its cluster is kept pristine in
# POSTGRES_INITDB_CACHE (default $BATS_FILE_TMPDIR/postgres-initdb; empty:
# no cache) and copied for each later start.
#
#   start_postgres DIR CERT KEY   sets POSTGRES_PORT, POSTGRES_PID
#   stop_postgres                 (SIGINT: fast shutdown, then srv_stop)

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

POSTGRES_BIN=${POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
POSTGRES_USER=${POSTGRES_USER:-postgres}

start_postgres() {
    local dir=$1 cert=$2 key=$3 port as cache=${POSTGRES_INITDB_CACHE-${BATS_FILE_TMPDIR:+$BATS_FILE_TMPDIR/postgres-initdb}}
    srv_absdir dir "$dir"
    POSTGRES_PORT='' POSTGRES_PID=''
    [ -x "$POSTGRES_BIN/postgres" ] || { echo "postgres: no server binary under /usr/lib/postgresql/*/bin" >&2; return 1; }
    id "$POSTGRES_USER" >/dev/null 2>&1 || POSTGRES_USER=nobody
    as=(setpriv --reuid="$POSTGRES_USER" --regid="$(id -g "$POSTGRES_USER")" --init-groups)
    mkdir -p "$dir/data" "$dir/sock" || return 1
    srv_open_path "$dir" || return 1
    # the key: 0600 and owned by the server's user, or postgres refuses it
    srv_cert_copy "$dir" "$cert" "$key" "$POSTGRES_USER:" || return 1
    chown "$POSTGRES_USER:" "$dir/data" "$dir/sock" && chmod 0700 "$dir/data" || return 1
    srv_free_port port || return 1
    if [ -n "$cache" ] && [ -f "$cache/PG_VERSION" ]; then
        # a copy of the cluster an earlier start made (owner kept)
        cp -a "$cache/." "$dir/data/" || return 1
    else
        # -N: no fsync (a throwaway cluster); trust: no passwords
        (cd "$dir" && "${as[@]}" "$POSTGRES_BIN/initdb" -D "$dir/data" -U postgres -A trust \
            -E UTF8 --locale=C -N) >"$dir/initdb.log" 2>&1 3>&- </dev/null || {
            echo "postgres: initdb failed" >&2
            srv_log_tail postgres "$dir/initdb.log" >&2
            return 1
        }
        if [ -n "$cache" ]; then
            # publish atomically (parallel tests may race: first one wins)
            cp -a "$dir/data" "$cache.$$" && { mv -T "$cache.$$" "$cache" 2>/dev/null || rm -rf "$cache.$$"; }
        fi
    fi
    srv_spawn postgres "$dir/postgres.log" "${as[@]}" "$POSTGRES_BIN/postgres" -D "$dir/data" \
        -k "$dir/sock" -p "$port" -h 127.0.0.1 \
        -c ssl=on -c ssl_cert_file="$SRV_CERT" -c ssl_key_file="$SRV_KEY" \
        -c fsync=off -c full_page_writes=off -c synchronous_commit=off \
        -c logging_collector=off -c shared_buffers=16MB -c max_connections=20
    POSTGRES_PID=$SRV_PID
    srv_wait postgres "$POSTGRES_PID" "$port" \
        "'$POSTGRES_BIN/pg_isready' -q -h 127.0.0.1 -p $port -U postgres -d postgres -t 1" \
        "$dir/postgres.log" || { POSTGRES_PID=; return 1; }
    POSTGRES_PORT=$port
}

# SIGINT is postgres' "fast" shutdown (TERM waits for clients to leave).
stop_postgres() {
    if [ -n "$POSTGRES_PID" ]; then kill -INT "$POSTGRES_PID" 2>/dev/null || true; fi
    srv_stop "$POSTGRES_PID"
    POSTGRES_PID=
}
