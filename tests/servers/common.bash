# SPDX-License-Identifier: MIT
# Common helpers for tests/servers/*.bash: real protocol servers from Debian
# packages, each started privately by a test as its own child process, from
# a config written under a directory the test gives, on a free 127.0.0.1
# port, waited for by readiness (its listening socket in /proc, a banner or
# a log line; never a blind sleep) and stopped by its PID.
#
# Each server file exposes
#   start_NAME DIR CERT KEY   sets NAME_PORT and NAME_PID (returns 0), or
#                             prints why (and the server's log tail) on
#                             stderr and returns 1
#   stop_NAME                 TERM to its PID, KILL after a while and to
#                             what is left of its process group
# Nothing under /etc is written, no system service is started.  Servers that
# drop privileges read DIR as another user: srv_open_path makes DIR's
# ancestors traversable (o+x only; bats' /tmp/bats-run-* is 0700).
#
# These helpers return non-zero on failure (no bats `fail`), so they work in
# setup_file, setup and @test alike, under set -e.  They fork as little as
# they can: a fork costs tens of milliseconds here under bats.

# shellcheck disable=SC2034  # SRV_CERT, SRV_KEY, SRV_START_SECS, VAR_listen: for callers

# Ports handed out by srv_free_port in this shell (not yet listening).
SRV_PORTS_GIVEN=" "
# Seconds a server has to come up.
SRV_START_LIMIT=${SRV_START_LIMIT:-20}

# srv_absdir VAR DIR: DIR made absolute (servers run with DIR as their
# working directory; their configs name files by absolute paths) into VAR.
srv_absdir() {
    if [[ $2 == /* ]]; then printf -v "$1" '%s' "$2"; else printf -v "$1" '%s' "$PWD/$2"; fi
}

# _srv_now VAR: microseconds since the epoch into VAR (no fork).
_srv_now() { printf -v "$1" '%s' "${EPOCHREALTIME/[.,]/}"; }

# _srv_tcp_ports VAR: " PORT PORT ... " of every TCP socket (any state,
# IPv4 and IPv6) into VAR, and of listening ones into VAR_listen as
# " ADDRHEX:PORT ... ", from /proc/net/tcp* by one awk (plain POSIX awk:
# mawk has no strtonum).  One fork: loops in bash are slow under bats'
# DEBUG trap, and the tables grow long with TIME_WAIT while suites run.
_srv_tcp_ports() {
    local all listen
    { read -r all; read -r listen; } < <(awk '
        function dec(h,   i, n) {
            n = 0
            for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
            return n
        }
        FNR > 1 {
            split($2, a, ":"); p = dec(a[2]); all = all p " "
            if ($4 == "0A") listen = listen a[1] ":" p " "
        }
        END { print " " all; print " " listen }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
    printf -v "$1" ' %s ' "$all"
    printf -v "$1_listen" ' %s ' "$listen"
}

# srv_free_port VAR: sets VAR to a TCP port that nothing on this machine
# uses (in any state, IPv4 or IPv6), outside the ephemeral range (so no
# outgoing connection takes it meanwhile), not handed out before by this
# shell (a variable, not $(...), so that is remembered), and reserved
# against the other tests of the run: a directory made per port in a place
# they share, which mkdir creates for one of them only.  Without it two
# tests running at once could pick the same port, and one server's
# readiness check then saw the other's listener (nginx answered a plain
# request on its HTTPS port).
SRV_PORT_LOCKS=${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}/aecat-srv-ports.$$}/srv-ports
srv_free_port() {
    local used used_listen p i lo=32768 hi=60999 r
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    _srv_tcp_ports used
    for ((i = 0; i < 500; i++)); do
        r=${SRANDOM:-$(( RANDOM * 32768 + RANDOM ))}
        p=$(( 20000 + r % 12000 ))
        if [ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ]; then continue; fi
        if [[ $used == *" $p "* || $SRV_PORTS_GIVEN == *" $p "* ]]; then continue; fi
        mkdir -p "$SRV_PORT_LOCKS" 2>/dev/null
        mkdir "$SRV_PORT_LOCKS/$p" 2>/dev/null || continue
        SRV_PORTS_GIVEN+="$p "
        printf -v "$1" '%s' "$p"
        return 0
    done
    echo "srv_free_port: no free port found" >&2
    return 1
}

# srv_listening PORT: something listens on 127.0.0.1:PORT (or the IPv4 or
# IPv6 wildcard, or ::ffff:127.0.0.1).
srv_listening() {
    local t t_listen a
    _srv_tcp_ports t
    for a in 0100007F 00000000 00000000000000000000000000000000 0000000000000000FFFF00000100007F; do
        [[ $t_listen == *" $a:$1 "* ]] && return 0
    done
    return 1
}

# srv_alive PID: PID runs (and is no zombie).
srv_alive() {
    local line
    kill -0 "$1" 2>/dev/null || return 1
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    line=${line##*) }          # after "PID (comm) ": "STATE PPID PGRP ..."
    [ "${line%% *}" != Z ]
}

# _srv_pgrp PID VAR: PID's process group into VAR ("" if gone).
_srv_pgrp() {
    local line f
    printf -v "$2" '%s' ""
    read -r line 2>/dev/null <"/proc/$1/stat" || return 0
    line=${line##*) }
    read -r -a f <<<"$line"
    printf -v "$2" '%s' "${f[2]}"
}

# srv_log_tail NAME LOG...: the last lines of each LOG, for failure messages.
srv_log_tail() {
    local name=$1 f; shift
    for f in "$@"; do
        [ -s "$f" ] || continue
        echo "-- $name: tail of $f --"
        tail -n 25 "$f"
    done
    return 0
}

# srv_spawn NAME OUTFILE CMD...: CMD in the background in a new session (its
# own process group, so stop can take its children too), in OUTFILE's
# directory, stdin /dev/null, stdout+stderr to OUTFILE, fd 3 closed (bats
# waits for it otherwise), no core dumps (hard limit 0: InspIRCd raises its
# soft limit and may crash at exit).  Sets SRV_PID (CMD's own: setsid and
# the subshell exec) and SRV_CMD (CMD quoted, for failure messages).  Disowned: bash reaps it all the same but prints no
# "Segmentation fault"/"Killed" job report.  Registers the PID in
# helpers.bash's PIDS when that exists.
srv_spawn() {
    local name=$1 out=$2; shift 2
    (cd "${out%/*}" && ulimit -H -c 0 && exec setsid "$@") </dev/null >"$out" 2>&1 3>&- &
    SRV_PID=$!
    printf -v SRV_CMD '%q ' "$@"
    disown "$SRV_PID" 2>/dev/null || true
    if declare -p PIDS >/dev/null 2>&1; then PIDS+=("$SRV_PID"); fi
}

# srv_wait NAME PID PORT CHECK LOG...: until PID listens on PORT and the
# command CHECK (a string evaluated, or "" for none) succeeds; bounded by
# SRV_START_LIMIT seconds.  The first LOG is the spawn's OUTFILE (its
# directory is named in failure messages).  On failure: message + log tails on stderr,
# the server is stopped, returns 1.  Sets SRV_START_SECS (from the call).
srv_wait() {
    local name=$1 pid=$2 port=$3 check=$4 t0 now end; shift 4
    _srv_now t0
    end=$(( t0 + SRV_START_LIMIT * 1000000 ))
    while :; do
        if srv_listening "$port" && { [ -z "$check" ] || eval "$check" >/dev/null 2>&1; }; then
            _srv_now now
            now=$(( (now - t0) / 10000 ))
            printf -v SRV_START_SECS '%d.%02d' $(( now / 100 )) $(( now % 100 ))
            return 0
        fi
        if ! srv_alive "$pid"; then
            echo "$name: server (pid $pid) exited before it was ready on port $port" >&2
            echo "$name: command (in ${1%/*}): $SRV_CMD" >&2
            srv_log_tail "$name" "$@" >&2
            srv_stop "$pid" 1
            return 1
        fi
        _srv_now now
        if [ "$now" -ge "$end" ]; then
            echo "$name: server (pid $pid) not ready on port $port after $SRV_START_LIMIT s" >&2
            echo "$name: command (in ${1%/*}): $SRV_CMD" >&2
            srv_log_tail "$name" "$@" >&2
            srv_stop "$pid" 1
            return 1
        fi
        sleep 0.05
    done
}

# srv_stop PID [SECS]: TERM to PID, KILL to it if still there after SECS
# (default 10) seconds, then KILL to what is left of its process group
# (children that outlived it; when it leads one, as srv_spawn makes it).
# Bash reaps disowned children itself.  Safe under set -e.
srv_stop() {
    local pid=$1 secs=${2:-10} end now pg
    [ -n "$pid" ] || return 0
    _srv_pgrp "$pid" pg
    # the master only: it stops its children its own way (dovecot warns
    # about children killed behind its back)
    kill -TERM "$pid" 2>/dev/null || true
    _srv_now now
    end=$(( now + secs * 1000000 ))
    while srv_alive "$pid"; do
        _srv_now now
        [ "$now" -lt "$end" ] || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    # stragglers of the group (children that outlived the leader), until
    # none is left but zombies: orphans go to PID 1, which here may take a
    # while to reap them
    if [ "$pg" = "$pid" ]; then
        kill -KILL -- "-$pid" 2>/dev/null || true
        end=$(( now + 3000000 ))
        while srv_group_alive "$pid"; do
            _srv_now now
            [ "$now" -lt "$end" ] || break
            sleep 0.05
        done
    fi
    wait "$pid" 2>/dev/null || true
    return 0
}

# srv_group_alive PGID: a process of group PGID runs (zombies do not count).
srv_group_alive() {
    local p
    for p in $(pgrep -g "$1" 2>/dev/null); do
        srv_alive "$p" && return 0
    done
    return 1
}

# srv_open_path DIR: DIR and each ancestor owned by us get o+x (traverse,
# no listing), so a server that drops privileges reaches files in DIR.
srv_open_path() {
    local d=$1 dirs=()
    [[ $d == /* ]] || d=$PWD/$d
    while [ -n "$d" ] && [ "$d" != / ]; do
        # ours, and not sticky (/tmp: open already)
        if [ -O "$d" ] && [ ! -k "$d" ]; then dirs+=("$d"); fi
        d=${d%/*}
    done
    [ ${#dirs[@]} -eq 0 ] ||
        find "${dirs[@]}" -maxdepth 0 ! -perm -o+x -exec chmod o+x {} + || return 1
}

# _srv_pem IN OUT: the PEM blocks of IN into OUT (certtool puts a text dump
# before them).
_srv_pem() {
    local line in=0 n=0
    {
        while IFS= read -r line || [ -n "$line" ]; do
            if [[ $line == -----BEGIN* ]]; then in=1; fi
            if [ "$in" = 1 ]; then printf '%s\n' "$line"; n=1; fi
            if [[ $line == -----END* ]]; then in=0; fi
        done <"$1"
    } >"$2" || return 1
    [ "$n" = 1 ] || { echo "srv_cert_copy: no PEM block in $1" >&2; return 1; }
}

# srv_cert_copy DIR CERT KEY OWNER: CERT and KEY (PEM blocks only) into
# DIR/tls/ as cert.pem (0644) and key.pem (0600), owned by OWNER
# (user:group); sets SRV_CERT and SRV_KEY.
srv_cert_copy() {
    local dir=$1 cert=$2 key=$3 owner=$4
    mkdir -p "$dir/tls" || return 1
    (umask 077 && _srv_pem "$key" "$dir/tls/key.pem") || return 1
    _srv_pem "$cert" "$dir/tls/cert.pem" || return 1
    chmod 0644 "$dir/tls/cert.pem" || return 1
    if [ "$owner" != root:root ]; then
        chown "$owner" "$dir/tls" "$dir/tls/cert.pem" "$dir/tls/key.pem" || return 1
    fi
    SRV_CERT=$dir/tls/cert.pem
    SRV_KEY=$dir/tls/key.pem
}

# srv_banner PORT REGEX [SECS]: a line of the server's greeting matches REGEX.
srv_banner() {
    local port=$1 re=$2 secs=${3:-2} fd line rc=1
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 1
    while IFS= read -r -t "$secs" -u "$fd" line; do
        if [[ $line =~ $re ]]; then rc=0; break; fi
    done
    exec {fd}<&-
    return $rc
}
