# SPDX-License-Identifier: MIT
# InspIRCd 3 (Debian inspircd, module ssl_gnutls + starttls) as a private IRC
# server with STARTTLS (numeric 670): inspircd --config DIR/inspircd.conf
# --nofork --runasroot (it refuses root otherwise).  No hostname lookups,
# no ident.  (ngircd has no STARTTLS, only direct-TLS ports.)
#
#   start_inspircd DIR CERT KEY   sets INSPIRCD_PORT, INSPIRCD_PID
#   stop_inspircd

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_inspircd() {
    local dir=$1 cert=$2 key=$3 port
    srv_absdir dir "$dir"
    INSPIRCD_PORT='' INSPIRCD_PID=''
    mkdir -p "$dir/data" "$dir/log" "$dir/run" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    printf 'aecat test IRC server\n' >"$dir/motd.txt"
    cat >"$dir/inspircd.conf" <<CONF
<path configdir="$dir" datadir="$dir/data" logdir="$dir/log" runtimedir="$dir/run">
<server name="irc.localhost" description="aecat test IRC" network="aecattest">
<admin name="aecat" nick="aecat" email="root@localhost">
<bind address="127.0.0.1" port="$port" type="clients">
<connect name="main" allow="*" timeout="60" threshold="100" pingfreq="120"
         hardsendq="262144" softsendq="8192" recvq="8192" localmax="100" globalmax="100"
         resolvehostnames="no" useident="no">
<files motd="$dir/motd.txt">
<pid file="$dir/run/inspircd.pid">
<dns server="127.0.0.1" timeout="1">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$dir/log/ircd.log">
<options allowzerolimit="no">
<security hideserver="" userstats="Pu" customversion="">
<performance netbuffersize="10240" somaxconn="128" softlimit="1024" clonesonconnect="no" timeskipwarn="2">
<module name="cap">
<module name="ssl_gnutls">
<sslprofile name="gnutls" provider="gnutls" certfile="$SRV_CERT" keyfile="$SRV_KEY"
            dhfile="" hash="sha256" requestclientcert="no">
<module name="starttls">
<starttls provider="gnutls">
CONF
    srv_spawn inspircd "$dir/inspircd.out" inspircd --config "$dir/inspircd.conf" --nofork --runasroot
    INSPIRCD_PID=$SRV_PID
    srv_wait inspircd "$INSPIRCD_PID" "$port" "" \
        "$dir/inspircd.out" "$dir/log/ircd.log" || { INSPIRCD_PID=; return 1; }
    INSPIRCD_PORT=$port
}

stop_inspircd() { srv_stop "$INSPIRCD_PID"; INSPIRCD_PID=; }
