# SPDX-License-Identifier: MIT
# dnsmasq 2.90 (Debian dnsmasq-base) as a private DNS server over UDP and
# TCP: in the foreground (-k), no config file, no /etc/hosts, no upstream
# (--no-resolv), bound to 127.0.0.1 only on a free port, as root (no drop
# to nobody, which could not write the pid file in DIR).  It answers one
# name: DNSMASQ_NAME has the A record DNSMASQ_ADDR (TTL 0); other names are
# refused.  Its log on stderr (--log-facility=-), queries logged.  Ready
# when the TCP port listens.
#
#   start_dnsmasq DIR   sets DNSMASQ_PORT, DNSMASQ_PID
#   stop_dnsmasq

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID, DNSMASQ_*: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

DNSMASQ_NAME=example.test
DNSMASQ_ADDR=192.0.2.1

start_dnsmasq() {
    local dir=$1 port bin
    srv_absdir dir "$dir"
    DNSMASQ_PORT='' DNSMASQ_PID=''
    bin=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
    mkdir -p "$dir" || return 1
    srv_free_port port || return 1
    srv_spawn dnsmasq "$dir/dnsmasq.log" "$bin" -k --conf-file=/dev/null \
        --port="$port" --listen-address=127.0.0.1 --bind-interfaces \
        --no-resolv --no-hosts \
        --address="/$DNSMASQ_NAME/$DNSMASQ_ADDR" --user=root --group=root \
        --pid-file="$dir/dnsmasq.pid" --log-facility=- --log-queries
    DNSMASQ_PID=$SRV_PID
    srv_wait dnsmasq "$DNSMASQ_PID" "$port" "" "$dir/dnsmasq.log" ||
        { DNSMASQ_PID=; return 1; }
    DNSMASQ_PORT=$port
}

stop_dnsmasq() { srv_stop "$DNSMASQ_PID"; DNSMASQ_PID=; }
