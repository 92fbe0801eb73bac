#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# -k, --keep-open: one listener, many connections at once.  Fan-in (each
# connection's frames whole on stdout, in its order, --tag saying whose),
# fan-out (stdin's records to every connection), --broker, the slow-reader
# policies, limits (--max-conns, --max-accepts, --count), and a failing
# connection that leaves the listener serving.  Real sockets on 127.0.0.1:
# concurrent Python clients (tests/peers/clients.py), socat, aecat clients,
# ncat --broker for comparison.

load helpers
load tls_helpers
load servers/common

CLIENTS=("$PYTHON" "$PEERS/clients.py")

# keep [-i STDIN] ARGS...: aecat -l -k 127.0.0.1 0 ARGS -v in the
# background as "srv" (AE_PID, LPORT; stdout $T/srv.out, stderr $T/srv.err).
keep() {
    local inopt=()
    if [ "$1" = -i ]; then inopt=(-i "$2"); shift 2; fi
    start_aecat_listener "${inopt[@]}" srv -k -v "$@"
    LPORT=${LPORT%% *}            # a TLS listener's line goes on with its pin
}

# stdin_after FILE CMD...: a FIFO ($T/in) for aecat's stdin that gives
# CMD's output once FILE exists, then EOF.
stdin_after() {
    local go=$1; shift
    mkfifo "$T/in"
    { while [ ! -e "$go" ]; do sleep 0.02; done; "$@"; } >"$T/in" 3>&- &
    PIDS+=($!)
}

# slow_and_fast [ARGS...]: aecat -k --frame line --max-accepts 2 ARGS with
# two clients, conn 1 not reading until $T/read exists (a small receive
# buffer), conn 2 reading at once; then stdin gives 10 MB of lines
# ($T/lines: more than the slow client's socket buffers take) at about
# 30 MB/s, which the fast client keeps up with on a loaded machine too
# (else --slow drop or close would rightly treat it as slow as well).
slow_and_fast() {
    seq 1 1500000 >"$T/lines"
    stdin_after "$T/go" "$PYTHON" -c '
import sys, time
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 65536):
    sys.stdout.buffer.write(data[i:i + 65536])
    sys.stdout.flush()
    time.sleep(0.002)' "$T/lines"
    keep -i "$T/in" --frame line --max-accepts 2 "$@"
    mkdir "$T/fast" "$T/slow"
    spawn slow "${CLIENTS[@]}" recv "$LPORT" 1 "$T/slow" --no-read-until "$T/read"
    accepted 1
    spawn fast "${CLIENTS[@]}" recv "$LPORT" 1 "$T/fast"
    accepted 2
    touch "$T/go"
}

# accepted N: until aecat has accepted its Nth connection.
accepted() { wait_for_match "$T/srv.err" "^aecat: conn $1 [^:]*: accepted$"; }

@test "keep: 50 concurrent clients, 2000 lines each of random sizes: every frame whole, each client's in order, tagged" {
    keep --frame line --tag --max-accepts 50
    mkdir "$T/c"
    run "${CLIENTS[@]}" send "$LPORT" 50 2000 "$T/c"
    assert_success
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    run "${CLIENTS[@]}" check "$T/srv.out" "$T/c" 50
    assert_success
    assert_output 'ok 100000 frames from 50 clients'
    [ "$(grep -c ': closed: ok$' "$T/srv.err")" -eq 50 ]
}

@test "keep: netstring wire with binary frames, --records hex --tag: 20 clients, every byte" {
    keep --frame netstring --records hex --tag --max-accepts 20
    mkdir "$T/c"
    run "${CLIENTS[@]}" send "$LPORT" 20 500 "$T/c" --frame netstring
    assert_success
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    run "${CLIENTS[@]}" check "$T/srv.out" "$T/c" 20 --hex
    assert_success
}

@test "keep: --tag with --records json: one object per frame with conn, peer and frame" {
    keep --frame line --records json --tag --max-accepts 3
    mkdir "$T/c"
    run "${CLIENTS[@]}" send "$LPORT" 3 100 "$T/c"
    assert_success
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ]
    run "${CLIENTS[@]}" check "$T/srv.out" "$T/c" 3 --json
    assert_success
    head -n1 "$T/srv.out" | grep -Eq '^\{"conn":[123],"peer":"127\.0\.0\.1:[0-9]+","frame":"c[0-2] f0 [^"]*"\}$' ||
        fail "$(head -n1 "$T/srv.out")"
}

@test "keep: fan-out: each stdin line goes to all 20 clients; stdin's EOF half-closes them all" {
    seq 1 20000 >"$T/lines"
    stdin_after "$T/go" cat "$T/lines"
    keep -i "$T/in" --frame line --max-accepts 20
    mkdir "$T/c"
    spawn cl "${CLIENTS[@]}" recv "$LPORT" 20 "$T/c"
    accepted 20
    touch "$T/go"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    for i in $(seq 0 19); do
        cmp "$T/lines" "$T/c/$i.recv" || fail "client $i"
    done
}

@test "keep: stdin's EOF half-closes each later connection too, which can still send" {
    keep --frame line --max-accepts 2
    for i in 1 2; do
        run bash -c "printf 'from $i\n' | timeout 10 socat -t 5 - TCP:127.0.0.1:$LPORT"
        assert_success
        assert_output ''           # our FIN came, nothing else
    done
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ]
    run cat "$T/srv.out"
    assert_output $'from 1\nfrom 2'
}

@test "keep: --broker: each client's frame goes to the others and stdout, as ncat --broker does" {
    keep --frame line --broker --max-accepts 3     # stdin's EOF does not half-close them
    mkdir "$T/c"
    spawn cl "${CLIENTS[@]}" recv "$LPORT" 3 "$T/c" --send 'from %d' --hold "$T/send" --lines 2
    local cl=$SPAWN_PID
    accepted 3
    touch "$T/send"
    wait_pid "$cl"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    run sort "$T/srv.out"
    assert_output $'from 0\nfrom 1\nfrom 2'
    for i in 0 1 2; do
        got=$(sort "$T/c/$i.recv" | tr '\n' ' ')
        want=$(printf 'from %d\n' 0 1 2 | grep -v "from $i" | tr '\n' ' ')
        assert_equal "$got" "$want"
    done
    # ncat --broker, given the same clients, delivers the same
    command -v ncat >/dev/null || fail "ncat not installed (make deps)"
    local nport; srv_free_port nport || fail "no free port"
    spawn nc ncat -l --broker -v 127.0.0.1 "$nport"
    until srv_listening "$nport"; do kill -0 "$SPAWN_PID" || fail "ncat: $(cat "$T/nc.err")"; sleep 0.02; done
    mkdir "$T/n"
    spawn ncl "${CLIENTS[@]}" recv "$nport" 3 "$T/n" --send 'from %d' --hold "$T/nsend" --lines 2
    local ncl=$SPAWN_PID
    until [ "$(grep -c 'Connection from' "$T/nc.err")" -ge 3 ]; do sleep 0.02; done
    touch "$T/nsend"
    wait_pid "$ncl"
    for i in 0 1 2; do
        assert_equal "$(sort "$T/n/$i.recv" | tr '\n' ' ')" "$(sort "$T/c/$i.recv" | tr '\n' ' ')"
    done
}

@test "keep: --slow block (the default): a client that does not read holds stdin back, nobody loses a frame" {
    slow_and_fast
    # stdin stalls: the fast client has far less than all while the slow one sleeps
    sleep 1
    [ "$(stat -c %s "$T/fast/0.recv" 2>/dev/null || echo 0)" -eq 0 ] || fail "fast client finished early"
    kill -0 "$AE_PID"
    touch "$T/read"
    wait_pid "$AE_PID" 60
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    cmp "$T/lines" "$T/fast/0.recv"
    cmp "$T/lines" "$T/slow/0.recv"
}

@test "keep: --slow drop: the slow client misses frames (whole ones, counted), the fast one gets all" {
    slow_and_fast --slow drop
    until [ -s "$T/fast/0.recv" ]; do kill -0 "$AE_PID" || fail "aecat died"; sleep 0.05; done
    touch "$T/read"
    wait_pid "$AE_PID" 60
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    cmp "$T/lines" "$T/fast/0.recv"
    local got; got=$(wc -l <"$T/slow/0.recv")
    [ "$got" -lt 1500000 ] || fail "the slow client missed nothing"
    # what it got are whole lines, in order, a subsequence of stdin
    awk 'NR > 1 && $0 <= prev { print "out of order at " NR; exit 1 } { prev = $0 + 0 }' "$T/slow/0.recv"
    grep -Eq "^aecat: conn 1 [^:]*: closed: ok, $((1500000 - got)) frames dropped \(--slow drop\)$" "$T/srv.err" ||
        fail "$(cat "$T/srv.err")"
}

@test "keep: --slow close: the slow client is closed with one line, the fast one gets all" {
    slow_and_fast --slow close
    wait_for_match "$T/srv.err" '^aecat: conn 1 [^:]*: slow reader: [0-9]+ bytes queued for it \(--slow close\): closing$'
    touch "$T/read"
    wait_pid "$AE_PID" 60
    assert_equal "$WAIT_RC" 74            # the first connection's failure
    cmp "$T/lines" "$T/fast/0.recv"
}

@test "keep: a failed TLS handshake ends that connection with one line; the listener serves the next" {
    keep --tls --frame line --max-accepts 2
    local pin; pin=$(awk '{print $4}' <<<"$READY_LINE")
    run bash -c "printf 'not tls\n' | timeout 10 socat -t 5 - TCP:127.0.0.1:$LPORT"
    wait_for_match "$T/srv.err" '^aecat: conn 1 127\.0\.0\.1 port [0-9]+: tls: handshake with 127\.0\.0\.1 port [0-9]+ failed: '
    run --separate-stderr ae --tls --pin "$pin" --frame line 127.0.0.1 "$LPORT" <<<'over tls'
    assert_success
    wait_pid "$AE_PID"
    assert_equal "$WAIT_RC" 76            # --max-accepts: the first failure's code
    run cat "$T/srv.out"
    assert_output 'over tls'
    [ "$(grep -c 'handshake' "$T/srv.err")" -eq 1 ]
}

@test "keep: a malformed frame ends that connection (its byte offset), the frames before it and the other clients delivered" {
    keep --frame netstring --max-accepts 2
    run bash -c "printf '3:abc,x:y,' | timeout 10 socat -t 5 - TCP:127.0.0.1:$LPORT"
    wait_for_match "$T/srv.err" 'closed: malformed'
    run bash -c "printf '2:ok,' | timeout 10 socat -t 5 - TCP:127.0.0.1:$LPORT"
    wait_pid "$AE_PID"
    assert_equal "$WAIT_RC" 65
    run cat "$T/srv.out"
    assert_output $'abc\nok'
    grep -Eq '^aecat: conn 1 127\.0\.0\.1 port [0-9]+: recv: malformed data from 127\.0\.0\.1 port [0-9]+ at byte 6: ' "$T/srv.err" ||
        fail "$(cat "$T/srv.err")"
}

@test "keep: --max-conns holds the third connection in the backlog, unaccepted" {
    hold_open_stdin
    keep -i "$OPEN_STDIN" --frame line --max-conns 2
    spawn -i "$OPEN_STDIN" c1 socat - "TCP:127.0.0.1:$LPORT"
    local c1=$SPAWN_PID
    spawn -i "$OPEN_STDIN" c2 socat - "TCP:127.0.0.1:$LPORT"
    accepted 2
    spawn -i "$OPEN_STDIN" c3 socat - "TCP:127.0.0.1:$LPORT"
    sleep 0.5                     # what is tested is that nothing happens
    ! grep -q 'conn 3' "$T/srv.err" || fail "a third connection was accepted: $(cat "$T/srv.err")"
    kill "$c1"
    wait_for_match "$T/srv.err" '^aecat: conn [12] .*: closed: ok$'
    accepted 3
}

@test "keep: --count counts the frames of all connections together" {
    keep --frame line --count 3
    spawn c1 bash -c "{ printf 'a\nb\n'; sleep 30; } | socat - TCP:127.0.0.1:$LPORT"
    spawn c2 bash -c "{ printf 'c\nd\n'; sleep 30; } | socat - TCP:127.0.0.1:$LPORT"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    [ "$(wc -l <"$T/srv.out")" -eq 3 ]
    grep -q '^aecat: --count reached after 3 frames$' "$T/srv.err"
}

@test "keep: SIGTERM: what was received is on stdout, the clients see the connection closed, exit 143" {
    keep --frame line
    spawn c1 bash -c "{ printf 'x\n'; sleep 30; } | socat -t 30 - TCP:127.0.0.1:$LPORT"
    local c1=$SPAWN_PID
    wait_for_line "$T/srv.out" "$AE_PID"
    kill -TERM "$AE_PID"
    wait_pid "$AE_PID"
    assert_equal "$WAIT_RC" 143
    assert_equal "$(cat "$T/srv.out")" x
}

@test "keep: every connection has its own dialog: a STARTTLS smtp server for two clients in turn" {
    keep --starttls smtp --then-relay --frame line --max-accepts 2
    local pin; pin=$(awk '{print $4}' <<<"$READY_LINE")
    for i in 1 2; do
        run --separate-stderr ae --starttls smtp --pin "$pin" --frame line --then-relay 127.0.0.1 "$LPORT" <<<"mail $i"
        assert_success
    done
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    run cat "$T/srv.out"
    assert_output $'mail 1\nmail 2'
}

@test "keep: -U: two clients on a Unix-domain socket" {
    start_aecat_ready srv -l -k -U "$T/sock" --frame line --tag --max-accepts 2
    for i in 1 2; do
        run bash -c "printf 'u$i\n' | socat -t 5 - UNIX-CONNECT:$T/sock"
        assert_success
    done
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ]
    run cat "$T/srv.out"
    assert_output $'1\tunix\tu1\n2\tunix\tu2'
    [ ! -e "$T/sock" ]
}

@test "keep: -w ends an idle connection with one line; the listener goes on" {
    keep --frame line -w 0.3 --max-accepts 2
    hold_open_stdin
    spawn -i "$OPEN_STDIN" c1 socat - "TCP:127.0.0.1:$LPORT"
    wait_for_match "$T/srv.err" '^aecat: conn 1 127\.0\.0\.1 port [0-9]+: timeout: no traffic with 127\.0\.0\.1 port [0-9]+ for 0\.3 s \(-w\)$'
    run bash -c "printf 'still\n' | socat -t 5 - TCP:127.0.0.1:$LPORT"
    wait_pid "$AE_PID"
    assert_equal "$WAIT_RC" 75
    assert_equal "$(cat "$T/srv.out")" still
}

# Fan-in passes lines on as runs of their bytes where they go out as they
# came: a "\r\n" end still becomes "\n", a lone '\r' stays, the
# unterminated last line gets its "\n", every line is counted (mixed_lines:
# helpers.bash).
@test "keep: lines pass through as they came, \\r\\n ends made \\n, each counted" {
    mixed_lines
    keep --frame line --stats --max-accepts 1
    run bash -c "socat -t 5 -u FILE:$T/mixed TCP:127.0.0.1:$LPORT"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    cmp "$T/want" "$T/srv.out" || fail "stdout differs from the lines with \\n ends"
    grep -Eq '^aecat: conn 1 [^:]*: stats: sent 0 bytes 0 frames, received [0-9]+ bytes 20001 frames' "$T/srv.err" ||
        fail "stats: $(grep stats "$T/srv.err")"
}

@test "keep: --stats per connection and in total; --json-log events name their connection" {
    keep --frame line --stats --json-log "$T/log" --max-accepts 2
    for i in 1 2; do
        run bash -c "printf 'hello $i\n' | socat -t 5 - TCP:127.0.0.1:$LPORT"
    done
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ]
    grep -Eq '^aecat: conn 1 [^:]*: stats: sent 0 bytes 0 frames, received 8 bytes 1 frames' "$T/srv.err"
    grep -Eq '^aecat: conn 2 [^:]*: stats: sent 0 bytes 0 frames, received 8 bytes 1 frames' "$T/srv.err"
    grep -Eq '^aecat: stats: 2 connections; sent 0 bytes, received 16 bytes; 0 frames from stdin, 2 frames to stdout' "$T/srv.err"
    run "$PYTHON" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
acc = [e["conn"] for e in ev if e["event"] == "accept"]
cls = [(e["conn"], e["frames_received"]) for e in ev if e["event"] == "close"]
res = [e for e in ev if e["event"] == "result"][0]
print(acc, sorted(cls), res["exit"], res["bytes_received"], res["frames_received"])' "$T/log"
    assert_output '[1, 2] [(1, 1), (2, 1)] 0 16 2'
}

@test "keep: usage errors" {
    local cases=(
        "-k 127.0.0.1 5000|-k keeps a listener open: it needs -l"
        "-k -z 127.0.0.1 5000|-k keeps a listener open: not with -z"
        "-l -k -z 127.0.0.1 5000|-z probes by connecting: not with -l"
        "--tag -l 127.0.0.1 5000|--tag needs -k"
        "--broker -l 127.0.0.1 5000|--broker needs -k"
        "--max-accepts 2 -l 127.0.0.1 5000|--max-accepts needs -k"
        "-l -k -q 1 127.0.0.1 5000|-q: not with -k"
        "-l -k --peer-eof-grace 1 127.0.0.1 5000|--peer-eof-grace: not with -k"
        "-l -k --slow fast 127.0.0.1 5000|--slow: 'fast' is not block, drop or close"
        "-l -k --max-conns 0 127.0.0.1 5000|--max-conns: '0' is not a number from 1 to 1000000"
        "-l -k --tag 127.0.0.1 5000|--tag needs a framing"
        "-l -k --tag --frame line --records raw 127.0.0.1 5000|--tag needs records that delimit frames: not --records raw"
        "-l -k --send-file /dev/stdin 127.0.0.1 5000|-k shares stdin among the connections"
    )
    for c in "${cases[@]}"; do
        read -ra args <<<"${c%%|*}"
        run --separate-stderr ae "${args[@]}" </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: ${c#*|}"
    done
}

@test "keep: --tag --records json on stdin: a record naming its conn goes to that connection only, others to all" {
    printf '%s\n' '{"conn":1,"frame":"to one"}' '"to all"' '{"frame":"to two","conn":2,"peer":"x"}' \
        '{"conn":7,"frame":"nobody"}' '{"base64":"YWxs"}' >"$T/records"
    stdin_after "$T/go" cat "$T/records"
    keep -i "$T/in" --frame line --records json --tag --max-accepts 2
    mkdir "$T/c"
    spawn cl "${CLIENTS[@]}" recv "$LPORT" 2 "$T/c"
    accepted 2
    touch "$T/go"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    assert_equal "$(cat "$T/c/0.recv")" $'to one\nto all\nall'
    assert_equal "$(cat "$T/c/1.recv")" $'to all\nto two\nall'
    grep -q '^aecat: stdin: the record at byte 76 names conn 7, which is not open: dropped$' "$T/srv.err" ||
        fail "$(cat "$T/srv.err")"
}

@test "keep: routed stdin records that are not: 65 at their byte, the records before them delivered" {
    local cases=(
        '{"conn":0,"frame":"x"}|16|a record naming "conn" needs a positive connection number and a "frame"'
        '{"conn":1}|8|a record naming "conn" needs a positive connection number and a "frame"'
        '{"conn":1,"frame":5}|26|json-strings: expected a JSON string or \{"base64": ...\}'
    )
    local c rec at msg
    for c in "${cases[@]}"; do
        IFS='|' read -r rec at msg <<<"$c"
        rm -rf "$T/c" "$T/in" "$T/go" "$T/srv.ready"
        printf '%s\n' '"first"' "$rec" '"never"' >"$T/records"
        stdin_after "$T/go" cat "$T/records"
        keep -i "$T/in" --frame line --records json --tag
        mkdir "$T/c"
        spawn cl "${CLIENTS[@]}" recv "$LPORT" 1 "$T/c"
        accepted 1
        touch "$T/go"
        wait_pid "$AE_PID"
        assert_equal "$WAIT_RC" 65
        wait_pid "$SPAWN_PID"
        assert_equal "$(cat "$T/c/0.recv")" first
        grep -Eq "^aecat: stdin: malformed data at byte $at: $msg" "$T/srv.err" || fail "$(cat "$T/srv.err")"
    done
}

@test "keep: what each client says while its --expect waits goes to stdout too, tagged" {
    keep --frame line --tag --send 'HELLO' --expect '^READY' --then-relay --max-accepts 2
    for i in 1 2; do
        run bash -c "printf 'noise $i\nREADY\nafter $i\n' | timeout 10 socat -t 5 - TCP:127.0.0.1:$LPORT"
        assert_output 'HELLO'
    done
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    run cut -f1,3 "$T/srv.out"
    assert_output $'1\tnoise 1\n1\tREADY\n1\tafter 1\n2\tnoise 2\n2\tREADY\n2\tafter 2'
}

@test "keep: --tag names an IPv6 peer [::1]:PORT; --tls-auto serves TLS and plaintext clients side by side" {
    start_aecat_ready v6 -l -k -6 ::1 0 --frame line --tag --max-accepts 1
    run bash -c "printf 'v6\n' | timeout 10 socat -t 5 - TCP6:[::1]:$LPORT"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ]
    grep -Eq $'^1\t\\[::1\\]:[0-9]+\tv6$' "$T/v6.out" || fail "$(cat "$T/v6.out")"
    keep --tls-auto --frame line --tag --max-accepts 2
    local pin; pin=$(awk '{print $4}' <<<"$READY_LINE")
    run --separate-stderr ae --tls --pin "$pin" --frame line 127.0.0.1 "$LPORT" <<<'secret'
    assert_success
    run bash -c "printf 'plain\n' | timeout 10 socat -t 5 - TCP:127.0.0.1:$LPORT"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    run cut -f1,3 "$T/srv.out"
    assert_output $'1\tsecret\n2\tplain'
}

@test "keep: out of file descriptors, accepting pauses (a line) and resumes as connections end; nobody is lost" {
    # a hard limit of 24 descriptors: about 16 connections at once
    mkfifo "$T/srv.ready"
    local fd line
    exec {fd}<>"$T/srv.ready"
    bash -c 'ulimit -n 24 && exec "$0" "$@"' "$AECAT" -l -k 127.0.0.1 0 -v --frame line --tag --max-accepts 40 \
        --ready=3 </dev/null >"$T/srv.out" 2>"$T/srv.err" 3>"$T/srv.ready" &
    AE_PID=$!
    PIDS+=("$AE_PID")
    read -r -t 10 -u "$fd" line || fail "no --ready line: $(cat "$T/srv.err")"
    exec {fd}<&-
    read -r _ _ LPORT <<<"$line"
    mkdir "$T/c"
    run "${CLIENTS[@]}" send "$LPORT" 40 20 "$T/c" --read
    assert_success
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    run "${CLIENTS[@]}" check "$T/srv.out" "$T/c" 40
    assert_success
    grep -q '^aecat: accept: Too many open files: not accepting for now, retrying every 0.1 s$' "$T/srv.err" ||
        fail "$(grep accept "$T/srv.err")"
}

@test "keep: --tag with --frame resp: its JSON records become objects too" {
    keep --frame resp --tag --max-accepts 1
    run --separate-stderr ae --frame resp 127.0.0.1 "$LPORT" <<<'SET a 1'
    assert_success
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ]
    grep -Eq '^\{"conn":1,"peer":"127\.0\.0\.1:[0-9]+","frame":\["SET","a","1"\]\}$' "$T/srv.out" ||
        fail "$(cat "$T/srv.out")"
}

@test "keep: a framing with a stream's state (--send-frame A>>B) starts afresh on each connection" {
    printf '%s\n' '{"conn":1,"frame":"a"}' '{"conn":2,"frame":"c"}' '{"conn":1,"frame":"b"}' >"$T/records"
    stdin_after "$T/go" cat "$T/records"
    keep -i "$T/in" --recv-frame line --send-frame 'line>>netstring' --records json --tag --max-accepts 2
    mkdir "$T/c"
    spawn cl "${CLIENTS[@]}" recv "$LPORT" 2 "$T/c"
    accepted 2
    touch "$T/go"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    # each connection's first frame by A (a line), the later ones by B
    assert_equal "$(cat "$T/c/0.recv")" $'a\n1:b,'
    assert_equal "$(cat "$T/c/1.recv")" 'c'
}
