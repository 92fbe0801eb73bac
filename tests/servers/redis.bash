# redis-server 7 (Debian redis-server, OpenSSL) as a private TLS server: no
# plaintext port, --tls-port on 127.0.0.1, no client certificates, no
# persistence, in the foreground, its files under DIR.  After a client's
# close_notify it closes TCP without its own (NOTES.md "Real servers and
# peers").
#
#   start_redis DIR CERT KEY CA   sets REDIS_PORT, REDIS_PID
#   stop_redis

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_redis() {
    local dir=$1 cert=$2 key=$3 ca=$4 port
    srv_absdir dir "$dir"
    REDIS_PORT='' REDIS_PID=''
    mkdir -p "$dir" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    srv_spawn redis "$dir/redis.out" redis-server --port 0 --tls-port "$port" \
        --tls-cert-file "$SRV_CERT" --tls-key-file "$SRV_KEY" --tls-ca-cert-file "$ca" \
        --tls-auth-clients no --save '' --appendonly no --daemonize no \
        --bind 127.0.0.1 --dir "$dir" --logfile "$dir/redis.log"
    REDIS_PID=$SRV_PID
    srv_wait redis "$REDIS_PID" "$port" "" "$dir/redis.out" "$dir/redis.log" ||
        { REDIS_PID=; return 1; }
    REDIS_PORT=$port
}

stop_redis() { srv_stop "$REDIS_PID"; REDIS_PID=; }
