# SPDX-License-Identifier: MIT
# Prosody 0.12 (Debian prosody) as a private XMPP server (c2s and s2s, both
# with STARTTLS required, virtual host "localhost"): prosody --config
# DIR/prosody.cfg.lua -F (foreground).  run_as_root: prosody would otherwise
# switch to the "prosody" user itself.  One account, test@localhost password
# "test".  s2s: an incoming stream to='localhost' is offered
# <starttls><required/></starttls> (s2s_require_encryption) and, over TLS,
# dialback (mod_dialback: prosody gives up on a stream with no feature to
# offer); it never connects out (no peer to authenticate, s2s_secure_auth
# off: no certificate checks of a remote server).
#
#   start_prosody DIR CERT KEY   sets PROSODY_PORT (c2s), PROSODY_S2S_PORT,
#                                PROSODY_PID
#   stop_prosody

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_prosody() {
    local dir=$1 cert=$2 key=$3 port s2s_port
    srv_absdir dir "$dir"
    PROSODY_PORT='' PROSODY_S2S_PORT='' PROSODY_PID=''
    mkdir -p "$dir/data/localhost/accounts" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    srv_free_port s2s_port || return 1
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
s2s_ports = { $s2s_port }
s2s_direct_tls_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping" }
modules_disabled = { "offline" }
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
ssl = { certificate = "$SRV_CERT"; key = "$SRV_KEY" }
VirtualHost "localhost"
    ssl = { certificate = "$SRV_CERT"; key = "$SRV_KEY" }
CONF
    # account test@localhost (internal_plain storage format)
    printf 'return {\n\t["password"] = "test";\n};\n' >"$dir/data/localhost/accounts/test.dat"
    srv_spawn prosody "$dir/prosody.out" prosody --config "$dir/prosody.cfg.lua" -F
    PROSODY_PID=$SRV_PID
    srv_wait prosody "$PROSODY_PID" "$port" "srv_listening $s2s_port" \
        "$dir/prosody.out" "$dir/prosody.log" || { PROSODY_PID=; return 1; }
    PROSODY_PORT=$port PROSODY_S2S_PORT=$s2s_port
}

stop_prosody() { srv_stop "$PROSODY_PID"; PROSODY_PID=; }
