# SPDX-License-Identifier: MIT
# Exim 4 (Debian exim4-daemon-light, GnuTLS) as a private SMTP server with
# STARTTLS: exim4 -C DIR/exim.conf -bdf -oX PORT (daemon in the foreground).
# Accepts no mail (every RCPT is refused): for STARTTLS and EHLO only.
#
#   start_exim DIR CERT KEY   sets EXIM_PORT, EXIM_PID
#   stop_exim

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_exim() {
    local dir=$1 cert=$2 key=$3 port
    srv_absdir dir "$dir"
    EXIM_PORT='' EXIM_PID=''
    mkdir -p "$dir/spool" "$dir/log" || return 1
    srv_open_path "$dir" || return 1
    # the receiving process runs as Debian-exim and loads the key then
    srv_cert_copy "$dir" "$cert" "$key" Debian-exim:Debian-exim || return 1
    chown Debian-exim:Debian-exim "$dir/spool" "$dir/log" || return 1
    srv_free_port port || return 1
    cat >"$dir/exim.conf" <<CONF
primary_hostname = localhost
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
spool_directory = $dir/spool
log_file_path = $dir/log/%slog
pid_file_path = $dir/exim.pid
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $port
tls_advertise_hosts = *
tls_certificate = $SRV_CERT
tls_privatekey = $SRV_KEY
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_rcpt

begin acl
acl_rcpt:
  deny message = no mail here
CONF
    chmod 0644 "$dir/exim.conf"
    srv_spawn exim "$dir/exim.out" exim4 -C "$dir/exim.conf" -bdf -oX "$port"
    EXIM_PID=$SRV_PID
    srv_wait exim "$EXIM_PID" "$port" "srv_banner $port '^220 '" \
        "$dir/exim.out" "$dir/log/mainlog" "$dir/log/paniclog" || { EXIM_PID=; return 1; }
    EXIM_PORT=$port
}

stop_exim() { srv_stop "$EXIM_PID"; EXIM_PID=; }
