# Redis (Debian redis-server) as a private server: no persistence, its
# working directory DIR, on a free 127.0.0.1 port; ready when it answers PING.
#
#   start_redis DIR [CERT KEY]  sets REDIS_PORT, REDIS_PID (CERT and KEY unused:
#                               the same signature as the other servers)
#   stop_redis

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_redis() {
    local dir=$1 port
    srv_absdir dir "$dir"
    REDIS_PORT='' REDIS_PID=''
    mkdir -p "$dir" || return 1
    srv_free_port port || return 1
    srv_spawn redis "$dir/redis.out" redis-server --port "$port" --bind 127.0.0.1 \
        --save '' --appendonly no --dir "$dir" --daemonize no --logfile ''
    REDIS_PID=$SRV_PID
    srv_wait redis "$REDIS_PID" "$port" "_redis_pong $port" "$dir/redis.out" ||
        { REDIS_PID=; return 1; }
    REDIS_PORT=$port
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
