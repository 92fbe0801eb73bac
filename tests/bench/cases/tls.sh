# SPDX-License-Identifier: MIT
# TLS relay and one-shot TLS PING: aecat --tls, socat, openssl s_client.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

# ------------------------------------------------------------ TLS
# aecat --tls against socat's and OpenSSL's TLS, all held to one suite.
TLS_MB=${BENCH_TLS_MB:-2048}
TLS_PING_RUNS=${BENCH_TLS_PING_RUNS:-$PING_RUNS}
TLS_SUITE=TLS_AES_256_GCM_SHA384
TLS_PRIO=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM

# make_cert: sets CERT and KEY, a self-signed ECDSA P-256 certificate for
# localhost and 127.0.0.1 (two days), and OSSL_CNF, an OpenSSL configuration
# allowing TLS 1.3 with $TLS_SUITE only.  Fails when neither openssl nor
# certtool can make it.
make_cert() {
    CERT=$WORK/cert.pem KEY=$WORK/key.pem OSSL_CNF=$WORK/openssl.cnf
    rm -f "$CERT" "$KEY"
    if [ $HAVE_OPENSSL = 1 ]; then
        timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$KEY" -out "$CERT" -days 2 -subj /CN=localhost \
            -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' >/dev/null 2>"$WORK/cert.err" ||
            cat "$WORK/cert.err" >>"$LOG"
    fi
    if ! [ -s "$CERT" ] && command -v certtool >/dev/null; then
        printf 'cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\nexpiration_days = 2\ntls_www_server\nsigning_key\n' >"$WORK/cert.cfg"
        { timeout 30 certtool --generate-privkey --key-type ecdsa --curve secp256r1 --no-text --outfile "$KEY" &&
          timeout 30 certtool --generate-self-signed --load-privkey "$KEY" --template "$WORK/cert.cfg" \
            --no-text --outfile "$CERT"; } >/dev/null 2>"$WORK/cert.err" || cat "$WORK/cert.err" >>"$LOG"
    fi
    cat >"$OSSL_CNF" <<EOF
openssl_conf = bench_conf
[bench_conf]
ssl_conf = bench_ssl
[bench_ssl]
system_default = bench_tls
[bench_tls]
MinProtocol = TLSv1.3
Ciphersuites = $TLS_SUITE
EOF
    [ -s "$CERT" ] && [ -s "$KEY" ]
}

# negotiated FILE: "TLS1.3 SUITE" from aecat's --tls-info, socat's -d -d or
# s_client's -brief lines in FILE (empty if none)
negotiated() {
    awk '/aecat: tls: version /   { v = $NF } /aecat: tls: cipher / { c = $NF }
         /SSL proto version used: / { v = $NF } /SSL connection using / { c = $NF }
         /^Protocol version: /     { v = $NF } /^Ciphersuite: /       { c = $NF }
         END { sub(/^TLSv/, "TLS", v); if (c != "") printf "%s %s", v, c }' "$1" 2>/dev/null
}

# One TLS relay run, as raw_run: gen | CLIENT --TLS--> SERVER | sink.  Sets
# RATE, RSS_L, RSS_S, LAG, and SUITE, what the server and the client
# negotiated ("server / client" when they differ).
tls_run() {
    local tool=$1 mb=$2 to=$3 port="" lp sp gp kp rc=0 src lrc
    local res=$WORK/res rl=$WORK/rss.l rs=$WORK/rss.s lout=$WORK/l.out sout=$WORK/s.out
    local le=$WORK/tls.l.err se=$WORK/tls.s.err
    RATE="" RSS_L="" RSS_S="" LAG="" SUITE=""
    rm -f "$res" "$rl" "$rs"
    : >"$WORK/ready"; : >"$le"; : >"$se"
    fifo "$lout"
    fifo "$sout"
    spawn "$lout" /dev/null "$to" "$BIN/sink" -n $((mb * 1048576)) -o "$res"
    kp=$LAST
    case $tool in
    aecat)  ERR=$le spawn "rw:$HOLD" "$lout" "$to" "$BIN/maxrss" "$rl" "$AECAT" -l --peer-eof-grace 0 --tls --cert "$CERT" --key "$KEY" \
                --tls-priority "$TLS_PRIO" --tls-info --ready=3 127.0.0.1 0 3>"$WORK/ready";;
    socat)  port=$(free_port)
            ERR=$le spawn "rw:$HOLD" "$lout" "$to" env OPENSSL_CONF="$OSSL_CNF" "$BIN/maxrss" "$rl" socat -d -d -u \
                "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,cert=$CERT,key=$KEY,verify=0" STDOUT;;
    esac
    lp=$LAST
    if [ -z "$port" ]; then
        port=$(wait_ready "$WORK/ready" "$lp") || { say "bench: $tool -l --tls did not get ready"; rc=1; }
    else
        wait_listen "$port" "$lp" || { say "bench: $tool TLS listener did not listen"; rc=1; }
    fi
    if [ $rc = 0 ]; then
        case $tool in
        aecat)  ERR=$se spawn "$sout" /dev/null "$to" "$BIN/maxrss" "$rs" "$AECAT" --tls --ca "$CERT" \
                    --tls-priority "$TLS_PRIO" --tls-info 127.0.0.1 "$port";;
        socat)  ERR=$se spawn "$sout" /dev/null "$to" env OPENSSL_CONF="$OSSL_CNF" "$BIN/maxrss" "$rs" socat -d -d -u \
                    STDIN "OPENSSL:127.0.0.1:$port,verify=0";;
        esac
        sp=$LAST
        spawn /dev/null "$sout" "$to" "$BIN/gen" raw "$mb"
        gp=$LAST
        wait "$gp"; wait "$sp"; src=$?; wait "$kp"; wait "$lp"; lrc=$?
        if [ $src != 0 ] || [ $lrc != 0 ]; then
            say "bench: TLS $tool: client exit $src, server exit $lrc (124: killed by the $to s timeout); their stderr:"
            sed 's/^/    client: /' "$se" | grep -v ' N \| I ' | head -5 >&2
            sed 's/^/    server: /' "$le" | grep -v ' N \| I ' | head -5 >&2
            rc=1
        fi
    else
        kill "$lp" "$kp" 2>/dev/null
        wait "$lp" "$kp" 2>/dev/null
    fi
    rm -f "$lout" "$sout"
    local a b
    a=$(negotiated "$le") b=$(negotiated "$se")
    SUITE=$a; [ "$a" = "$b" ] || SUITE="$a / $b"
    [ $rc = 0 ] && [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != $((mb * 1048576)) ]; then
        say "bench: TLS $tool relayed $bytes bytes of $((mb * 1048576))"
        return 1
    fi
    RATE=$(calc "$bytes / $secs / 1e6")
    LAG=$(calc "($eof - $last) * 1000")
    RSS_L=$(cat "$rl" 2>/dev/null)
    RSS_S=$(cat "$rs" 2>/dev/null)
}

# watchdog FILE SECS: every 0.5 s, kills the PID in FILE ("PID EPOCHSECONDS")
# once it has run SECS; ends with this shell.  For the timed one-shot clients,
# which a timeout(1) around each would slow down.
watchdog() {
    local pid st
    while kill -0 $$ 2>/dev/null && sleep 0.5; do
        pid="" st=""
        read -r pid st <"$1" 2>/dev/null
        if [ -n "$st" ] && [ $((EPOCHSECONDS - st)) -ge "$2" ]; then
            kill "$pid" 2>/dev/null
            : >"$1"
        fi
    done
}

# tls_ping_once TOOL [-v]: one timed PING over TLS to $TPORT; appends the
# milliseconds to TP[TOOL], or counts a failure in TP[TOOL,bad] (the first
# one described in TP[TOOL,why]).  -v: untimed, sets TLS_NEG to the
# negotiated version and suite instead.
tls_ping_once() {
    local t0 t1 rc out="" info=()
    [ "${2:-}" = -v ] && case $1 in aecat) info=(--tls-info);; s_client) info=(-brief -ign_eof);; esac
    t0=$EPOCHREALTIME
    case $1 in
    aecat)    "$AECAT" -w 5 --tls --ca "$CERT" "${info[@]}" 127.0.0.1 "$TPORT" \
                  <"$WORK/ping.txt" >"$WORK/tp.out" 2>"$WORK/tp.err" & ;;
    s_client) openssl s_client -connect "127.0.0.1:$TPORT" -quiet -CAfile "$CERT" -verify_return_error \
                  -verify_ip 127.0.0.1 "${info[@]}" <"$WORK/ping.txt" >"$WORK/tp.out" 2>"$WORK/tp.err" & ;;
    esac
    printf '%s %s\n' $! "$EPOCHSECONDS" >"$WD"
    wait $!
    rc=$?
    t1=$EPOCHREALTIME
    : >"$WD"
    IFS= read -r -d '' out <"$WORK/tp.out"
    if [ $rc != 0 ] || [ "$out" != $'PONG\r\n' ]; then
        TP[$1,bad]=$((${TP[$1,bad]:-0} + 1))
        [ -n "${TP[$1,why]:-}" ] ||
            TP[$1,why]="exit $rc$([ $rc = 143 ] && echo ' (killed after 10 s)'), stdout $(printf %q "$out"), stderr: $(grep -v '^depth=\|^verify return:\|SSL_get_servername' "$WORK/tp.err" | head -c 400 | tr '\n' '|')"
        return 1
    fi
    [ "${2:-}" = -v ] && { TLS_NEG=$(negotiated "$WORK/tp.err"); return 0; }
    TP[$1]+="$(calc "($t1 - $t0) * 1000") "
}

if want tls; then
    if [ $HAVE_TLS = 0 ]; then
        say "bench: TLS: aecat without --tls: the TLS cells read n/a"
    elif ! make_cert; then
        say "bench: TLS: cannot make a certificate (no openssl, no certtool): the TLS cells read n/a"
    else
        say "bench: TLS relay, $TLS_MB MiB, TLS 1.3 $TLS_SUITE, best of $REPS"
        TLS_TO=$((60 + TLS_MB / 10))
        for ((rep = 1; rep <= REPS; rep++)); do
            for tool in aecat socat; do
                have $tool || continue
                if tls_run $tool "$TLS_MB" "$TLS_TO"; then
                    say "  run $rep: $tool $RATE MB/s, $SUITE (peak RSS server $RSS_L KiB, client $RSS_S KiB; EOF $LAG ms after the last byte)"
                    best "R[tls,$tool]" "$RATE"
                    maxof "R[tlsrssl,$tool]" "$RSS_L"
                    maxof "R[tlsrsss,$tool]" "$RSS_S"
                    [ -n "${R[tlssuite,$tool]:-}" ] || R[tlssuite,$tool]=$SUITE
                else
                    say "  run $rep: $tool failed"
                fi
            done
        done

        say "bench: one-shot TLS PING, $TLS_PING_RUNS runs each (server: socat OPENSSL-LISTEN,fork)"
        printf 'PING\r\n' >"$WORK/ping.txt"
        printf '#!/bin/sh\nread -r line && printf "PONG\\r\\n"\n' >"$WORK/pong.sh"
        chmod +x "$WORK/pong.sh"
        declare -A TP
        WD=$WORK/watchdog
        : >"$WD"
        TPORT=$(free_port)
        if [ $HAVE_SOCAT = 1 ]; then
            ERR=$WORK/tlsping.srv.err spawn /dev/null /dev/null $((120 + TLS_PING_RUNS * 4)) env OPENSSL_CONF="$OSSL_CNF" \
                socat "OPENSSL-LISTEN:$TPORT,bind=127.0.0.1,reuseaddr,fork,cert=$CERT,key=$KEY,verify=0" "EXEC:$WORK/pong.sh"
            TPINGD=$LAST
            watchdog "$WD" 10 &
            WDP=$!
            PIDS+=("$WDP")
            if wait_listen "$TPORT" "$TPINGD"; then
                TPT=()   # the clients that answered the untimed first run
                for tool in aecat s_client; do
                    case $tool in aecat) have aecat-tls;; *) have $tool;; esac || continue
                    if tls_ping_once $tool -v; then
                        R[tlspingsuite,$tool]=$TLS_NEG
                        TPT+=("$tool")
                        say "  $tool: $TLS_NEG"
                    else
                        say "  $tool: no PONG: ${TP[$tool,why]:-}"
                    fi
                done
                for ((i = 0; i < TLS_PING_RUNS; i++)); do
                    for tool in "${TPT[@]}"; do tls_ping_once $tool; done
                done
                for tool in "${TPT[@]}"; do
                    if [ -n "${TP[$tool,bad]:-}" ]; then
                        say "  $tool: ${TP[$tool,bad]} of $TLS_PING_RUNS runs did not answer PONG; the first: ${TP[$tool,why]}"
                    elif [ -n "${TP[$tool]:-}" ]; then
                        R[tlsping,$tool]=$(printf '%s\n' ${TP[$tool]} | sort -g | awk '{ a[NR] = $1 } END { printf "%.3f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
                        say "  $tool: median ${R[tlsping,$tool]} ms"
                    fi
                done
            else
                say "bench: TLS PING server (socat) did not listen"
            fi
            kill "$TPINGD" "$WDP" 2>/dev/null; wait "$TPINGD" "$WDP" 2>/dev/null
            [ -s "$WORK/tlsping.srv.err" ] && { echo "TLS PING server (socat):"; cat "$WORK/tlsping.srv.err"; } >>"$LOG"
        else
            say "  no socat to answer: the TLS PING cells read n/a"
        fi
    fi
fi
