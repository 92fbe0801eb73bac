# SPDX-License-Identifier: MIT
# INN 2.7 nnrpd (Debian inn2, OpenSSL) as a private NNTP reader server with
# STARTTLS: nnrpd -D -f -p PORT -b 127.0.0.1 -n, standalone (no innd), in
# the foreground, its whole configuration in DIR (inn.conf found through
# the INNCONF environment variable: pathetc, pathdb, pathspool, pathrun,
# ... all under DIR).  The groups of INN's example active file, no
# articles, reading only ("no posting").  nnrpd binds as root and serves
# each client in a child running as "news"; it logs to syslog only.
#
#   start_inn DIR CERT KEY   sets INN_PORT, INN_PID
#   stop_inn

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

INN_BIN=${INN_BIN:-/usr/lib/news/bin}

start_inn() {
    local dir=$1 cert=$2 key=$3 port d
    srv_absdir dir "$dir"
    INN_PORT='' INN_PID=''
    [ -x "$INN_BIN/nnrpd" ] || { echo "inn: no $INN_BIN/nnrpd (package inn2)" >&2; return 1; }
    for d in etc db run log http spool/articles spool/overview spool/incoming/tmp \
             spool/outgoing spool/archive; do
        mkdir -p "$dir/$d" || return 1
    done
    srv_open_path "$dir" || return 1
    # the key: 0600 and owned by news (nnrpd refuses a readable key)
    srv_cert_copy "$dir" "$cert" "$key" news:news || return 1
    srv_free_port port || return 1
    cat >"$dir/etc/inn.conf" <<CONF
# private nnrpd for aecat's tests
domain: localdomain
pathhost: localhost
server: 127.0.0.1
organization: "aecat test"
mta: "/bin/false %s"
mailcmd: /bin/false
ovmethod: tradindexed
hismethod: hisv6
enableoverview: true
nnrpdloadlimit: 0
pathnews: /usr/lib/news
pathbin: $INN_BIN
pathcontrol: $INN_BIN/control
pathfilter: /etc/news/filter
pathetc: $dir/etc
pathdb: $dir/db
pathrun: $dir/run
pathspool: $dir/spool
patharticles: $dir/spool/articles
pathoverview: $dir/spool/overview
pathincoming: $dir/spool/incoming
pathtmp: $dir/spool/incoming/tmp
pathoutgoing: $dir/spool/outgoing
patharchive: $dir/spool/archive
pathlog: $dir/log
pathhttp: $dir/http
tlscertfile: $SRV_CERT
tlskeyfile: $SRV_KEY
CONF
    cat >"$dir/etc/readers.conf" <<'CONF'
auth "local" {
    hosts: "127.0.0.1, localhost"
    default: "<local>"
}
access "local" {
    users: "<local>"
    newsgroups: "*"
    access: R
}
CONF
    printf 'method tradspool {\n    newsgroups: *\n    class: 0\n}\n' >"$dir/etc/storage.conf"
    if [ -f /usr/lib/news/examples/active ]; then
        cp /usr/lib/news/examples/active /usr/lib/news/examples/newsgroups "$dir/db/" || return 1
    else
        printf 'control 0000000000 0000000001 n\njunk 0000000000 0000000001 n\n' >"$dir/db/active"
        printf 'control\tVarious control messages.\njunk\tJunk.\n' >"$dir/db/newsgroups"
    fi
    chown -R news:news "$dir/etc" "$dir/db" "$dir/run" "$dir/log" "$dir/http" "$dir/spool" || return 1
    # the (empty) overview database nnrpd opens for each client
    setpriv --reuid=news --regid=news --init-groups env INNCONF="$dir/etc/inn.conf" \
        "$INN_BIN/makehistory" -O -x >"$dir/makehistory.log" 2>&1 </dev/null 3>&- &&
        [ -s "$dir/spool/overview/group.index" ] || {
        echo "inn: makehistory -O (overview) failed" >&2
        srv_log_tail inn "$dir/makehistory.log" >&2
        return 1
    }
    srv_spawn inn "$dir/nnrpd.out" env INNCONF="$dir/etc/inn.conf" \
        "$INN_BIN/nnrpd" -D -f -p "$port" -b 127.0.0.1 -n
    INN_PID=$SRV_PID
    srv_wait inn "$INN_PID" "$port" "srv_banner $port '^20[01] '" \
        "$dir/nnrpd.out" || { INN_PID=; return 1; }
    INN_PORT=$port
}

stop_inn() { srv_stop "$INN_PID"; INN_PID=; }
