# SPDX-License-Identifier: MIT
# redis-server 7 (Debian redis-server, OpenSSL) as a private server: no
# persistence, in the foreground, its files under DIR, a plaintext port on
# 127.0.0.1 and, given CERT KEY CA, a TLS port too (no client
# certificates).  Ready when the plaintext port answers PING.  After a TLS
# client's close_notify it closes TCP without its own (NOTES.md "Real
# servers and peers").
#
#   start_redis DIR [CERT KEY CA]  sets REDIS_PORT, REDIS_TLS_PORT (with CERT), REDIS_PID
#   stop_redis

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_redis() {
    local dir=$1 cert=${2:-} key=${3:-} ca=${4:-} port tport='' tls=() check
    srv_absdir dir "$dir"
    REDIS_PORT='' REDIS_TLS_PORT='' REDIS_PID=''
    mkdir -p "$dir" || return 1
    srv_free_port port || return 1
    check="_redis_pong $port"
    if [ -n "$cert" ]; then
        srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
        srv_free_port tport || return 1
        tls=(--tls-port "$tport" --tls-cert-file "$SRV_CERT" --tls-key-file "$SRV_KEY"
             --tls-ca-cert-file "$ca" --tls-auth-clients no)
        check+=" && srv_listening $tport"
    fi
    srv_spawn redis "$dir/redis.out" redis-server --port "$port" "${tls[@]}" \
        --save '' --appendonly no --daemonize no \
        --bind 127.0.0.1 --dir "$dir" --logfile "$dir/redis.log"
    REDIS_PID=$SRV_PID
    srv_wait redis "$REDIS_PID" "$port" "$check" "$dir/redis.out" "$dir/redis.log" ||
        { REDIS_PID=; return 1; }
    REDIS_PORT=$port
    REDIS_TLS_PORT=$tport
}

# _redis_pong PORT: the server answers PING with +PONG.
_redis_pong() {
    local fd line rc=1
    exec {fd}<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 1
    printf 'PING\r\n' >&"$fd"
    IFS= read -r -t 2 -u "$fd" line && [[ $line == +PONG* ]] && rc=0
    exec {fd}<&-
    return $rc
}

stop_redis() { srv_stop "$REDIS_PID"; REDIS_PID=; }
