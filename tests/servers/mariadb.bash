# SPDX-License-Identifier: MIT
# MariaDB 10.11 (Debian mariadb-server, OpenSSL) as a private MySQL-protocol
# server with SSL (CLIENT_SSL in the greeting): mariadbd --no-defaults
# (no /etc/mysql read) on an empty DIR/data (InnoDB creates its files at
# start; no mariadb-install-db, which costs 5 s) with --skip-grant-tables:
# any user name, no password.  Runs as root (--user=root).
#
#   start_mariadb DIR CERT KEY   sets MARIADB_PORT, MARIADB_PID
#   stop_mariadb

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_mariadb() {
    local dir=$1 cert=$2 key=$3 port bin
    srv_absdir dir "$dir"
    MARIADB_PORT='' MARIADB_PID=''
    bin=$(command -v mariadbd || command -v mysqld || echo /usr/sbin/mariadbd)
    mkdir -p "$dir/data" "$dir/tmp" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    srv_spawn mariadb "$dir/mariadb.out" "$bin" --no-defaults --user=root \
        --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$dir/mysqld.sock" \
        --pid-file="$dir/mysqld.pid" --log-error="$dir/mariadb.log" \
        --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
        --skip-grant-tables --skip-log-bin --performance-schema=0 \
        --innodb-buffer-pool-size=16M --innodb-log-file-size=4M \
        --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
        --ssl-cert="$SRV_CERT" --ssl-key="$SRV_KEY"
    MARIADB_PID=$SRV_PID
    srv_wait mariadb "$MARIADB_PID" "$port" "grep -q 'ready for connections' '$dir/mariadb.log'" \
        "$dir/mariadb.out" "$dir/mariadb.log" || { MARIADB_PID=; return 1; }
    MARIADB_PORT=$port
}

stop_mariadb() { srv_stop "$MARIADB_PID" 20; MARIADB_PID=; }
