# Prosody 0.12 (Debian prosody) as a private XMPP server (c2s only, STARTTLS
# required, virtual host "localhost"): prosody --config DIR/prosody.cfg.lua -F
# (foreground).  run_as_root: prosody would otherwise switch to the
# "prosody" user itself.  One account, test@localhost password "test".
#
#   start_prosody DIR CERT KEY   sets PROSODY_PORT, PROSODY_PID
#   stop_prosody

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_prosody() {
    local dir=$1 cert=$2 key=$3 port
    srv_absdir dir "$dir"
    PROSODY_PORT='' PROSODY_PID=''
    mkdir -p "$dir/data/localhost/accounts" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    cat >"$dir/prosody.cfg.lua" <<CONF
-- private instance for aecat's tests
run_as_root = true
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$dir/tls"
log = { info = "$dir/prosody.log" }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { $port }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping" }
modules_disabled = { "s2s"; "offline" }
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = true
ssl = { certificate = "$SRV_CERT"; key = "$SRV_KEY" }
VirtualHost "localhost"
    ssl = { certificate = "$SRV_CERT"; key = "$SRV_KEY" }
CONF
    # account test@localhost (internal_plain storage format)
    printf 'return {\n\t["password"] = "test";\n};\n' >"$dir/data/localhost/accounts/test.dat"
    srv_spawn prosody "$dir/prosody.out" prosody --config "$dir/prosody.cfg.lua" -F
    PROSODY_PID=$SRV_PID
    srv_wait prosody "$PROSODY_PID" "$port" "" \
        "$dir/prosody.out" "$dir/prosody.log" || { PROSODY_PID=; return 1; }
    PROSODY_PORT=$port
}

stop_prosody() { srv_stop "$PROSODY_PID"; PROSODY_PID=; }
