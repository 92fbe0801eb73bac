# SPDX-License-Identifier: MIT
# OpenLDAP slapd 2.5 (Debian slapd, GnuTLS) as a private LDAP server with the
# StartTLS extended operation: slapd -d none -h ldap://127.0.0.1:PORT/ -f
# DIR/slapd.conf (-d keeps it in the foreground, "none" logs errors only, to
# stderr; the old slapd.conf format, no cn=config, no /etc/ldap/slapd.d).  One mdb database, suffix
# dc=example,dc=test, rootdn cn=admin,dc=example,dc=test, password "secret".
#
#   start_slapd DIR CERT KEY   sets SLAPD_PORT, SLAPD_PID
#   stop_slapd

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_slapd() {
    local dir=$1 cert=$2 key=$3 port
    srv_absdir dir "$dir"
    SLAPD_PORT='' SLAPD_PID=''
    mkdir -p "$dir/db" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    cat >"$dir/slapd.conf" <<CONF
# private instance for aecat's tests
include /etc/ldap/schema/core.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile $SRV_CERT
TLSCertificateKeyFile $SRV_KEY
TLSVerifyClient never
database mdb
maxsize 10485760
suffix "dc=example,dc=test"
rootdn "cn=admin,dc=example,dc=test"
rootpw secret
directory $dir/db
CONF
    srv_spawn slapd "$dir/slapd.out" slapd -d none -h "ldap://127.0.0.1:$port/" -f "$dir/slapd.conf"
    SLAPD_PID=$SRV_PID
    srv_wait slapd "$SLAPD_PID" "$port" "" "$dir/slapd.out" || { SLAPD_PID=; return 1; }
    SLAPD_PORT=$port
}

stop_slapd() { srv_stop "$SLAPD_PID"; SLAPD_PID=; }
