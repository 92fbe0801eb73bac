# SPDX-License-Identifier: MIT
# The table of every case run, its ratios and verdicts, and its notes.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

# ------------------------------------------------------------ the table
v() { local x=${R[$1]:-}; [ -n "$x" ] && printf '%s' "$x" || printf 'n/a'; }
num() { [ -n "${R[$1]:-}" ]; }
# ratio A B: A/B with 2 decimals, or n/a
ratio() { if num "$1" && num "$2"; then calc "sprintf(\"%.2f\", ${R[$1]} / ${R[$2]})"; else printf 'n/a'; fi; }
# verdict RATIO OP LIMIT
verdict() {
    [ "$1" = n/a ] && { printf 'n/a'; return; }
    if awk "BEGIN { exit !($1 $2 $3) }"; then printf 'met'; else printf 'missed'; fi
}
f1() { [ "$1" = n/a ] && printf 'n/a' || calc "sprintf(\"%.0f\", $1)"; }
f2() { [ "$1" = n/a ] && printf 'n/a' || calc "sprintf(\"%.2f\", $1)"; }
f3() { [ "$1" = n/a ] && printf 'n/a' || calc "sprintf(\"%.3f\", $1)"; }

OUT=$BD/results/last.txt
[ -n "${BENCH_ONLY:-}" ] && OUT=$BD/results/last-$(printf '%s' "$BENCH_ONLY" | tr -c 'a-z0-9' '-').txt
# suite_note KEY LABEL: "LABEL VERSION SUITE", flagged when not the one asked for
suite_note() {
    local s=${R[$1]:-}
    [ -n "$s" ] || return 0
    printf '%s %s' "$2" "$s"
    [ "$s" = "TLS1.3 $TLS_SUITE" ] || printf ' (NOT the suite asked for)'
    printf '; '
}
# rss2 TOOL: "server/client" peak RSS of the TLS relay, or n/a
rss2() { num "tlsrssl,$1" && printf '%s/%s' "${R[tlsrssl,$1]}" "$(v "tlsrsss,$1")" || printf 'n/a'; }
{
fmt='%-33s %-6s %8s %8s %8s %8s %8s %8s  %-19s %7s  %s\n'
printf "aecat bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)\n"
printf "aecat: %s; load average at start %s, at end %s (other work on the machine skews all figures)\n" \
    "$( [ $HAVE_AECAT = 1 ] && "$AECAT" -V 2>/dev/null | head -1 || echo 'not built')" "$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
[ -n "${BENCH_ONLY:-}" ] && printf "BENCH_ONLY=%s: the other cases were not run\n" "$BENCH_ONLY"
if want raw || want framed; then
    printf "raw: best of $REPS, MB/s = 10^6 B/s, sink's first byte to its last; framed: M frames/s, median of $FRAMED_REPS (peers: $PEER_REPS)\n"
fi
want tls && printf "TLS: relay best of $REPS (MB/s as raw), one-shot PING median of $TLS_PING_RUNS; TLS 1.3 $TLS_SUITE on every tool\n"
want json && printf "json: split MB/s of input best of ${JMIX_RUNS:-0} (codec alone $REPS); texts M texts/s, aecat median of $FRAMED_REPS (peers: $PEER_REPS); read sizes: CPU ns/byte, best of 10\n"
printf "\n"
printf "$fmt" case unit aecat nc socat AnyEvent asyncio ceiling target ratio result
printf "$fmt" --------------------------------- ------ -------- -------- -------- -------- -------- -------- ------------------- ------- ------

if want raw; then
    r=$(ratio raw,aecat raw,nc)
    printf "$fmt" "raw relay $SIZE_MB MiB" MB/s "$(f1 "$(v raw,aecat)")" "$(f1 "$(v raw,nc)")" "$(f1 "$(v raw,socat)")" - - "$(f1 "$(v raw,rw)")" '>= 2.00 x nc' "$r" "$(verdict "$r" '>=' 2)"
    r=$(ratio raw,aecat raw,rw)
    printf "$fmt" "  vs bare read/write relay" "" "" "" "" "" "" "" '>= 0.80 x rw' "$r" "$(verdict "$r" '>=' 0.8)"
    r=$(ratio raw,aecat raw,splice)
    printf "$fmt" "  vs bare splice relay" MB/s "" "" "" "" "" "$(f1 "$(v raw,splice)")" '(info)' "$r" ""
    r=$(ratio raw,aecat-pipe raw,rw)
    printf "$fmt" "  aecat, sender stdout a pipe" MB/s "$(f1 "$(v raw,aecat-pipe)")" "" "" "" "" "" '(info) x rw' "$r" ""
fi
if want framed; then
    for type in $FRAMED_TYPES; do
        for dir in decode encode; do
            r=$(ratio "$dir $type,aecat" "$dir $type,ceiling")
            ae=$(f3 "$(v "$dir $type,ae")") py=$(f3 "$(v "$dir $type,asyncio")")
            [[ $type == len:* ]] && ae=- py=-   # the peers run packstring:N only
            printf "$fmt" "$dir $type" Mfr/s "$(f3 "$(v "$dir $type,aecat")")" - - "$ae" "$py" \
                "$(f3 "$(v "$dir $type,ceiling")")" '>= 0.80 x ceiling' "$r" "$(verdict "$r" '>=' 0.8)"
        done
    done
fi
if want instr; then
    for type in $FRAMED_TYPES; do
        for dir in decode encode; do
            r=$(ratio "instr $dir $type,aecat" "instr $dir $type,ceiling")
            printf "$fmt" "instr/frame $dir $type" Ir "$(v "instr $dir $type,aecat")" - - - - \
                "$(v "instr $dir $type,ceiling")" '<= 1.50 x ceiling' "$r" "$(verdict "$r" '<=' 1.5)"
        done
    done
fi
if want raw || want framed; then
    printf "$fmt" "EOF after last byte, min" ms "$(f1 "$(v lag,aecat)")" "$(f1 "$(v lag,nc)")" "$(f1 "$(v lag,socat)")" "$(f1 "$(v lag,ae)")" "$(f1 "$(v lag,asyncio)")" "$(f1 "$(v lag,rw)")" '(info)' "" ""
fi
if want ping; then
    r=$(ratio ping,aecat ping,nc)
    printf "$fmt" "one-shot PING, median of $PING_RUNS" ms "$(f3 "$(v ping,aecat)")" "$(f3 "$(v ping,nc)")" - - - "$(f3 "$(v ping,floor)")" '<= 1.05 x nc' "$r" "$(verdict "$r" '<=' 1.05)"
fi
if want tls; then
    r=$(ratio tls,aecat tls,socat)
    printf "$fmt" "TLS relay $TLS_MB MiB, AES-256-GCM" MB/s "$(f1 "$(v tls,aecat)")" - "$(f1 "$(v tls,socat)")" - - - '>= 1.50 x socat' "$r" "$(verdict "$r" '>=' 1.5)"
    r=$(ratio tlsping,aecat tlsping,s_client)
    printf "$fmt" "one-shot TLS PING, median of $TLS_PING_RUNS" ms "$(f3 "$(v tlsping,aecat)")" "$(f3 "$(v tlsping,s_client)")" - - - - '<= 0.80 x s_client' "$r" "$(verdict "$r" '<=' 0.8)"
fi
if want raw; then
    rl=$(v rssl,aecat); rs=$(v rsss,aecat)
    m=n/a; [ "$rl" != n/a ] && m=$(( rl > ${rs/n\/a/0} ? rl : ${rs/n\/a/0} ))
    printf "$fmt" "peak RSS, relay $SIZE_MB MiB" KiB "$rl/$rs" "$(v rssl,nc)/$(v rsss,nc)" "$(v rssl,socat)/$(v rsss,socat)" - - "$(v rssl,rw)/$(v rsss,rw)" '<= 4096 KiB' "$m" "$(verdict "$m" '<=' 4096)"
fi
if want tls; then
    printf "$fmt" "peak RSS, TLS relay $TLS_MB MiB" KiB "$(rss2 aecat)" - "$(rss2 socat)" - - - '(info)' "" ""
fi
if want slow; then
    for mb in "$SMALL_MB" "$SLOW_MB"; do
        rl=$(v slow$mb,aecat); rs=$(v slows$mb,aecat)
        m=n/a; [ "$rl" != n/a ] && m=$(( rl > ${rs/n\/a/0} ? rl : ${rs/n\/a/0} ))
        printf "$fmt" "peak RSS, slow reader $mb MiB" KiB "$rl/$rs" - "$(v slow$mb,socat)/$(v slows$mb,socat)" - - - '<= 4096 KiB' "$m" "$(verdict "$m" '<=' 4096)"
    done
    a=$(v "slow$SMALL_MB,aecat"); b=$(v "slow$SLOW_MB,aecat")
    if [ "$a" != n/a ] && [ "$b" != n/a ]; then
        d=$((b - a))
        printf "$fmt" "  RSS growth ${SMALL_MB}->${SLOW_MB} MiB" KiB "$d" - - - - - '<= 256 KiB (flat)' "$d" "$(verdict "$d" '<=' 256)"
    fi
fi
if want json; then
    m=$(f1 "$(v jmix,aecat)")
    printf "$fmt" "json split+validate $JSON_MB MiB mix" MB/s "$m" - - - - "$(f1 "$(v jmix,split)")" '>= 300 MB/s' "$m" "$(verdict "$m" '>=' 300)"
    printf "$fmt" "  aecat vs codec alone" "" "" "" "" "" "" "" '(info) x codec' "$(ratio jmix,aecat jmix,split)" ""
    r=$(ratio jtexts,aecat jtexts,asyncio)
    printf "$fmt" "json $JSON_TEXTS x 64 B -> JSON Lines" Mtx/s "$(f3 "$(v jtexts,aecat)")" "$(f3 "$(v jtexts,jq)")" - "$(f3 "$(v jtexts,ae)")" \
        "$(f3 "$(v jtexts,asyncio)")" "$(f3 "$(v jtexts,split)")" '>= 5.00 x asyncio' "$r" "$(verdict "$r" '>=' 5)"
    r=$(ratio jtexts,aecat jtexts,jq)
    printf "$fmt" "  vs jq -c . (file on its stdin)" "" "" "" "" "" "" "" '>= 20.00 x jq' "$r" "$(verdict "$r" '>=' 20)"
    for kind in array string; do
        printf "$fmt" "json 16 MiB $kind, 1 MiB reads" ns/B - - - - - "$(f2 "$(v jbig${kind}1048576,split)")" '(info)' "" ""
        printf "$fmt" "  4 KiB reads" ns/B - - - - - "$(f2 "$(v jbig${kind}4096,split)")" '(info)' "" ""
        r=$(v jbig$kind,spread); [ "$r" = n/a ] || r=$(f2 "$r")
        printf "$fmt" "  1-byte reads; slowest/fastest" ns/B - - - - - "$(f2 "$(v jbig${kind}1,split)")" '<= 2.00 x fastest' "$r" "$(verdict "$r" '<=' 2)"
        r=$(v jbig$kind,scanspread); [ "$r" = n/a ] || r=$(f2 "$r")
        printf "$fmt" "  1-byte less feeding them" ns/B - - - - - "$(f2 "$(v jbig${kind}scan,split)")" '(info) x fastest' "$r" ""
    done
fi
if want idle; then
    r=$(v idle,aecat)
    printf "$fmt" "idle conns held, RSS per conn" KiB "$r" "$(v idle,ncat)" "$(v idle,socat)" - - "$(v idle,tcpserver)" '<= 2.00 KiB' "$r" "$(verdict "$r" '<=' 2)"
    printf "$fmt" "  connections held (opened)" "" "$(v idleheld,aecat)" "$(v idleheld,ncat)" "$(v idleheld,socat)" - - "$(v idleheld,tcpserver)" '(info)' "" ""
    printf "$fmt" "" "" "($(v idleopened,aecat))" "($(v idleopened,ncat))" "($(v idleopened,socat))" - - "($(v idleopened,tcpserver))" "" "" ""
    num idlenote && printf "  %s\n" "${R[idlenote]}"
fi
if want fanin; then
    r=$(ratio fanin,aecat fanin,ncat)
    printf "$fmt" "fan-in ${FANIN_C}x$FANIN_MB MiB lines, -k" MB/s "$(f1 "$(v fanin,aecat)")" "$(f1 "$(v fanin,ncat)")" - - - "$(f1 "$(v fanin,sender)")" '>= 1.00 x ncat' "$r" "$(verdict "$r" '>=' 1)"
    printf "$fmt" "  all held after, slowest run" ms "$(v fanacc,aecat)" "$(v fanacc,ncat)" - - - - '(info)' "" ""
    printf "$fmt" "  listener CPU per GB" s/GB "$(v fanincpu,aecat)" "$(v fanincpu,ncat)" - - - - '(info) x ncat' "$(ratio fanincpu,aecat fanincpu,ncat)" ""
fi
if want connrate; then
    r=$(ratio connrate,aecat connrate,tcpserver)
    printf "$fmt" "conn rate $CONN_N x PING, -k -e cat" conn/s "$(v connrate,aecat)" "$(v connrate,ncat)" "$(v connrate,socat)" - - "$(v connrate,tcpserver)" '>= 1.00 x tcpserver' "$r" "$(verdict "$r" '>=' 1)"
    r=$(ratio connrate,aecat connrate,ncat)
    printf "$fmt" "  vs ncat -lk -e" "" "" "" "" "" "" "" '>= 2.00 x ncat' "$r" "$(verdict "$r" '>=' 2)"
    r=$(ratio connrate,aecat connrate,socat)
    printf "$fmt" "  vs socat fork,EXEC:cat" "" "" "" "" "" "" "" '>= 2.00 x socat' "$r" "$(verdict "$r" '>=' 2)"
    printf "$fmt" "  floor: socket handed to cat" conn/s "" "" "" "" "" "$(v connrate,handoff)" '(info) x floor' "$(ratio connrate,aecat connrate,handoff)" ""
    num connrate,note && printf "  %s: the aecat cells read n/a\n" "${R[connrate,note]}"
fi
printf "\n"
if want raw || want framed || want ping || want slow; then
    printf "raw relay: gen | SENDER HOST PORT >/dev/null, LISTENER -l <fifo | sink (splice to /dev/null).\n"
    printf "Rates stop at the last expected byte; 'EOF after last byte' is how long the listener then took to exit.\n"
    printf "RSS cells: listener/sender peak (getrusage ru_maxrss).  ceiling: raw = bare read/write relay\n"
    printf "(256 KiB buffers), framed = bare C read-cut-write loop, PING = bare C client.\n"
    want framed && printf "len:u32be is packstring:N's wire (4-byte big-endian length) through aecat's len: codec; same ceiling loop.\n"
fi
if want instr; then
    printf "instr/frame: Ir (callgrind) of the framed runs with $INSTR_FRAMES and $((2 * INSTR_FRAMES)) frames of $ITEM bytes, the difference\n"
    printf "per frame (start-up cancels out): a count, not a time, so load and machine do not move it.  The decode\n"
    printf "ceiling refuses a netstring, packstring or len: payload holding \"\\\\n\", as aecat must for line records.\n"
fi
if want idle || want fanin || want connrate; then
    printf "idle, fan-in, conn rate: the nc column is ncat (Nmap's), the ceiling column tcpserver (ucspi-tcp) but on fan-in.\n"
fi
if want idle; then
    printf "idle: conns idle opens the connections (256 connects in flight) and sends nothing; aecat -l -k --frame line\n"
    printf "and ncat -lk -m N (one process): VmRSS growth / connections held (the listener's fds beyond its own);\n"
    printf "socat -u fork and tcpserver ... cat (a process per connection): the Pss of the process tree (shared pages\n"
    printf "split between the processes) growth / connections held (processes beyond the listener), for ${IDLE_PEER_N:-?}.\n"
fi
if want fanin; then
    printf "fan-in: conns fanin, one poll loop, every client's data generated before the clock and sent with writes of\n"
    printf "up to 1 MiB, then SHUT_WR; MB/s of all the bytes (10^6 B/s) from the moment the listener holds all $FANIN_C\n"
    printf "connections (its fds; 'all held after': since the first connect) to the last close by the\n"
    printf "listener, median of $FANIN_REPS; aecat -l -k --frame line >/dev/null frames every line, ncat -lk >/dev/null copies\n"
    printf "raw.  ncat listens with a backlog of 10: connects past it wait for a SYN retried 1 s later (not in MB/s).\n"
    printf "Ceiling column: the sender alone, one connection with all the bytes into socat -u -b 1048576 (no wait).\n"
    printf "CPU per GB: the listener's user + system time over all the runs (/proc/PID/stat), per 10^9 bytes received:\n"
    printf "less moved by the machine's load than MB/s, which needs the sender and the listener on a core each.\n"
fi
if want connrate; then
    printf "conn rate: conns rate, sequential: connect, write PING\\\\n, read the echo, close (the client closes first);\n"
    printf "servers: aecat -l -k -e cat, tcpserver -HR -l 0 -c 1000 -b 256 ... cat (no DNS lookups, as the others),\n"
    printf "ncat -lk -m 1000 -e /bin/cat, socat TCP-LISTEN,fork,reuseaddr,backlog=256 EXEC:cat.\n"
    printf "floor: tests/bench/handoff.c, accept and posix_spawn cat with the socket as its stdin and stdout, no\n"
    printf "relay, no environment of its own: what is left is cat's own start (exec, loader, locale) and the kernel.\n"
fi
if want tls; then
    printf "TLS relay: gen | CLIENT --TLS--> SERVER | sink, one direction, rate from the first byte (after the\n"
    printf "handshake) to the last: aecat --tls --ca -> aecat -l --tls --cert --key; socat -u OPENSSL:verify=0 ->\n"
    printf "socat -u OPENSSL-LISTEN.  RSS cells: server/client.  Certificate: one throwaway ECDSA P-256 per run.\n"
    printf "TLS PING: PING\\\\r\\\\n; socat OPENSSL-LISTEN,fork + EXEC of a sh script reads it, answers PONG\\\\r\\\\n, closes;\n"
    printf "the nc column holds openssl s_client -quiet; both clients verify the certificate (--ca / -CAfile) and\n"
    printf "the IP address (-verify_ip), and each run must print exactly PONG\\\\r\\\\n and exit 0.\n"
    n="$(suite_note tlssuite,aecat 'relay aecat')$(suite_note tlssuite,socat 'relay socat')"
    n+="$(suite_note tlspingsuite,aecat 'PING aecat')$(suite_note tlspingsuite,s_client 'PING s_client')"
    printf "Negotiated: %s.\n" "${n%; }"
fi
if want json; then
    printf "json split: blast FILE --TCP--> aecat -l --frame json --records raw | sink, MB/s of input (10^6 B/s);\n"
    printf "the mix: small objects, long strings with escapes and UTF-8, nesting 100-400 deep, numbers (gen jsonmix).\n"
    printf "json texts: blast FILE --TCP--> aecat -l --frame json --records json | sink; asyncio: asyncio_decode.py json\n"
    printf "(raw_decode, json.dumps compact); AnyEvent: push_read(json) + JSON::XS canonical; the nc column holds\n"
    printf "jq -c . reading the file on its stdin (no TCP: favours jq).  Outputs checked (N lines, md5 = the input's,\n"
    printf "compact already): %s.\n" "${JSON_NOTE:-not run}"
    printf "The ceiling column on json rows is libaeh's JSON codec alone, in memory, one core's CPU time (json_split:\n"
    printf "reads appended to an aeh_buf, decode/consume as lib/handle.c does; 256 KiB reads but where the row says).\n"
    printf "'1-byte less feeding them': the 1-byte figure minus the same reads into a null decoder (json_split -b:\n"
    printf "aeh_buf_reserve + 1-byte memcpy + an empty decode call per byte), i.e. the scanner's own cost.\n"
fi
printf "Runtime %.0f s.\n" "$(calc "$EPOCHREALTIME - $T0")"
} | tee "$OUT"
if [ -s "$LOG" ]; then
    say ""
    say "stderr of the programs run (first 20 lines, all in $OUT.stderr):"
    head -20 "$LOG" >&2
    cp "$LOG" "$OUT.stderr"
else
    rm -f "$OUT.stderr"
fi
