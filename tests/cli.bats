#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The command line: help, operands, --ready, families, source address,
# --count/--until, -C, --stats, -v, signals, closed stdin and stdout, end of
# stream.

load helpers

@test "cli: --help prints the usage of tests/cli-spec.txt and exits 0" {
    run --separate-stderr ae --help </dev/null
    assert_status 0
    assert_equal "$output" "$(sed -n '/^Usage: aecat/,/SIGTERM\.$/p' "$TOP/tests/cli-spec.txt")"
    assert_equal "$stderr" ""
}

@test "cli: -h exits 0" {
    run ae -h </dev/null
    assert_status 0
    assert_line --partial "Usage: aecat"
}

@test "cli: --version and -V print the version, then those of libev, PCRE2 and GnuTLS, and exit 0" {
    local opt
    for opt in --version -V; do
        run --separate-stderr ae "$opt" </dev/null
        assert_status 0
        assert_equal "${#lines[@]}" 4
        assert_line --index 0 --regexp '^aecat [0-9]+\.[0-9]+\.[0-9]+$'
        assert_line --index 1 --regexp '^libev [0-9]+\.[0-9]+$'
        # the libraries as installed, asked through their own tools
        assert_line --index 2 --regexp "^PCRE2 $(pcre2-config --version | sed 's/\./\\./g')( |\$)"
        assert_line --index 3 "GnuTLS $(gnutls-cli --version | sed -n '1s/^gnutls-cli //p')"
        assert_equal "$stderr" ""
    done
}

@test "cli: --version says so when GnuTLS cannot be loaded (exit 0)" {
    local lib
    lib=$(ldconfig -p | awk '$1 == "libgnutls.so.30" { print $NF; exit }')
    [ -n "$lib" ] || fail "libgnutls.so.30 not in the loader cache"
    # a private mount namespace in which the library is an empty file
    run --separate-stderr unshare -rm sh -c 'mount --bind /dev/null "$1" && exec "$2" --version' sh "$lib" "$AECAT" </dev/null
    assert_status 0
    assert_line --index 0 --regexp '^aecat [0-9.]+$'
    assert_line --index 3 --regexp "^GnuTLS not loaded, TLS unavailable: cannot load GnuTLS: .*libgnutls\.so\.30"
}

@test "cli: a plaintext run does not load GnuTLS, a TLS one does" {
    start_aecat_listener lst
    grep -q 'libev' "/proc/$AE_PID/maps" || fail "cannot read the maps of $AE_PID"
    run grep -c libgnutls "/proc/$AE_PID/maps"
    assert_output 0
    start_aecat_listener tlst --tls
    run grep -c libgnutls "/proc/$AE_PID/maps"
    refute_output 0
}

@test "cli: unknown options exit 64 with one line" {
    run --separate-stderr ae -Z 127.0.0.1 9 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: unknown option -Z"
    run --separate-stderr ae --no-such-option 127.0.0.1 9 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: unknown option --no-such-option"
}

@test "cli: a long option without a value given one names the option (64)" {
    run --separate-stderr ae --tls=yes 127.0.0.1 9 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: option --tls takes no value"
    # an abbreviation is named in full; a long option whose val is a short option's too
    run --separate-stderr ae --tls-inf=1 --listen=yes 9 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: option --tls-info takes no value"
    run --separate-stderr ae --verbose=2 127.0.0.1 9 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: option --verbose takes no value"
    # an unknown short option after a long one with a value is still that short option
    run --separate-stderr ae --frame=line -Zv 127.0.0.1 9 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: unknown option -Z "
}

@test "cli: ncat's --ssl options get a hint to aecat's own" {
    local opt want
    for opt in ssl:tls ssl-cert:cert ssl-key:key ssl-trustfile:ca ssl-alpn:alpn ssl-servername:servername; do
        want=${opt#*:}
        run --separate-stderr ae "--${opt%%:*}" 127.0.0.1 9 </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: unknown option --${opt%%:*}: did you mean --$want\?"
    done
    run --separate-stderr ae --ssl-verify 127.0.0.1 9 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: unknown option --ssl-verify: .*verifies the server by default"
}

@test "cli: nc options aecat does not have yet are named as not supported yet (64, one line)" {
    local opt
    for opt in -u -x --udp --proxy; do
        run --separate-stderr ae -l "$opt" 9 </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: option $opt \(.*\) is not supported yet"
    done
    # inside a cluster of short options too
    run --separate-stderr ae -lvu 9 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: option -u \(UDP\) is not supported yet"
}

@test "cli: socat address operands get a hint to HOST PORT (64, nothing connects)" {
    local op want
    for op in "TCP:127.0.0.1:9|HOST PORT" "tcp:localhost:9|HOST PORT" "tcp4:127.0.0.1:9|-4 HOST PORT" \
              "openssl:localhost:443,verify=0|--tls HOST PORT" "OPENSSL-LISTEN:4433|-l --tls PORT" \
              "TCP-LISTEN:9|-l PORT" "unix-connect:/tmp/s|-U PATH"; do
        want=${op#*|}
        run --separate-stderr ae - "${op%%|*}" </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: '${op%%|*}' is socat's address syntax: use aecat \[options\] $want "
    done
}

@test "cli: HOST alone is missing its PORT, nothing alone both" {
    run --separate-stderr ae localhost </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: missing PORT operand after HOST 'localhost' "
    run --separate-stderr ae </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: missing HOST and PORT operands "
}

# ------------------------------------------------------------ operands

greeter() { start_peer peer --send 'hi\n' --then close "$@"; }

@test "cli: operands HOST PORT" {
    greeter
    run ae 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output hi
}

@test "cli: operand HOST:PORT" {
    greeter
    run ae "127.0.0.1:$PORT" </dev/null
    assert_status 0
    assert_output hi
}

@test "cli: operand [::1]:PORT" {
    greeter --host ::1
    run ae "[::1]:$PORT" </dev/null
    assert_status 0
    assert_output hi
}

@test "cli: operand localhost PORT (a name, resolved)" {
    greeter
    run ae localhost "$PORT" </dev/null
    assert_status 0
    assert_output hi
}

@test "cli: out-of-range ports and over-long unix paths are usage errors (64)" {
    for args in "127.0.0.1 70000" "127.0.0.1 no-such-service" "-l 70000" "-p 65537 127.0.0.1 1" "-s nosuch.invalid 127.0.0.1 1" \
                "-U $(printf 'x%.0s' $(seq 1 120))"; do
        # shellcheck disable=SC2086
        run --separate-stderr ae $args </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: "
    done
}

@test "cli: options after the operands (GNU order)" {
    greeter
    run ae 127.0.0.1 "$PORT" --frame line --records hex </dev/null
    assert_status 0
    assert_output 6869
}

@test "cli: -l PORT listens on any address (--ready shows it) and accepts over IPv4" {
    start_aecat_ready lst -l 0
    [[ $READY_LINE =~ ^listening\ (::|0\.0\.0\.0)\ [1-9][0-9]*$ ]] || fail "ready line: $READY_LINE"
    spawn cl "$PYTHON" "$PEERS/peer.py" --connect "$LPORT" --send 'hello\n'
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" hello
}

@test "cli: -l -p PORT listens on PORT, -s ADDR on ADDR (the nc and ncat habit)" {
    local p; p=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    start_aecat_ready lst -l -p "$p" -s 127.0.0.1
    assert_equal "$READY_LINE" "listening 127.0.0.1 $p"
    printf 'via -p\n' >"$T/in"
    ae_files "$T/in" /dev/null 127.0.0.1 "$p"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l -p exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" "via -p"
}

@test "cli: -l -p PORT without -s listens on any address" {
    start_aecat_ready lst -l -p 0
    [[ $READY_LINE =~ ^listening\ (::|0\.0\.0\.0)\ [1-9][0-9]*$ ]] || fail "ready line: $READY_LINE"
}

@test "cli: -l HOST PORT, --ready=FD line is 'listening 127.0.0.1 PORT' with the real port" {
    start_aecat_listener lst
    [[ $READY_LINE =~ ^listening\ 127\.0\.0\.1\ [1-9][0-9]*$ ]] || fail "ready line: $READY_LINE"
    printf 'over the wire\n' >"$T/in"
    ae_files "$T/in" /dev/null 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    assert_equal "$(cat "$T/lst.out")" "over the wire"
}

@test "cli: -l ::1 0 --ready=FD line is 'listening ::1 PORT'" {
    start_aecat_ready lst -l ::1 0
    [[ $READY_LINE =~ ^listening\ ::1\ [1-9][0-9]*$ ]] || fail "ready line: $READY_LINE"
    spawn cl socat -u SYSTEM:"printf v6" "TCP6:[::1]:$LPORT"
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" v6
}

@test "cli: --ready without FD prints the line on stderr" {
    hold_open_stdin
    spawn -i "$OPEN_STDIN" lst "$AECAT" -l 127.0.0.1 0 --ready
    local pid=$SPAWN_PID
    wait_for_match "$T/lst.err" '^listening ' 10
    local line; line=$(head -n1 "$T/lst.err")
    [[ $line =~ ^listening\ 127\.0\.0\.1\ ([1-9][0-9]*)$ ]] || fail "ready line: $line"
    local port=${BASH_REMATCH[1]}
    # its stdin ends: after the client's EOF it has nothing more to wait for
    close_open_stdin
    run ae 127.0.0.1 "$port" </dev/null
    assert_status 0
    wait_pid "$pid" 10
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l exited $WAIT_RC: $(cat "$T/lst.err")"
}

@test "cli: -U PATH connects to a Unix socket" {
    start_peer peer --unix "$T/s" --send 'unix hi\n' --then close
    run ae -U "$T/s" </dev/null
    assert_status 0
    assert_output "unix hi"
}

@test "cli: -U @name uses the abstract namespace, -l -U listens there" {
    local name="@aecat-test-$$-$RANDOM"
    start_aecat_ready lst -l -U "$name"
    assert_equal "$READY_LINE" "listening unix $name"
    printf 'abstract\n' >"$T/in"
    ae_files "$T/in" /dev/null -U "$name"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l -U exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" abstract
}

@test "cli: -l -U PATH removes its socket file at exit" {
    start_aecat_ready lst -l -U "$T/l.sock"
    [ -S "$T/l.sock" ]
    ae_files /dev/null /dev/null -U "$T/l.sock"
    wait_pid "$AE_PID" 10
    [ ! -e "$T/l.sock" ] || fail "socket file left behind"
}

@test "cli: -l -U PATH leaves alone a file that replaced its socket" {
    start_aecat_ready lst -l -U "$T/l.sock"
    [ -S "$T/l.sock" ]
    rm "$T/l.sock"
    echo precious >"$T/l.sock"
    kill -TERM "$AE_PID"
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 143 ] || fail "aecat -l -U exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/l.sock")" precious
}

# ------------------------------------------------------------ families, source

@test "cli: -U -l over a regular file fails and leaves the file alone" {
    echo keep >"$T/notes.txt"
    run --separate-stderr ae -U -l "$T/notes.txt" </dev/null
    assert_status 74
    assert_one_error "address already in use"
    assert_equal "$(cat "$T/notes.txt")" keep
}

@test "cli: -U -l over a live listener fails without touching it or its socket file" {
    start_aecat_ready -i /dev/null live -U -l "$T/live.sock"
    run --separate-stderr ae -U -l "$T/live.sock" </dev/null
    assert_status 74
    [ -S "$T/live.sock" ] || fail "the live socket file was removed"
    kill -0 "$AE_PID" || fail "the live listener was disturbed"
    echo hi | ae -U "$T/live.sock" >/dev/null
    wait_pid "$AE_PID" 10
    assert_equal "$(cat "$T/live.out")" hi
}

@test "cli: -4 connects over IPv4; -4 with an IPv6 address fails to resolve (68)" {
    greeter
    run ae -4 localhost "$PORT" </dev/null
    assert_status 0
    assert_output hi
    run --separate-stderr ae -4 ::1 "$PORT" </dev/null
    assert_status 68
    assert_one_error "^aecat: resolve: "
}

@test "cli: -6 connects over IPv6; -6 with an IPv4 address fails to resolve (68)" {
    greeter --host ::1
    run ae -6 ::1 "$PORT" </dev/null
    assert_status 0
    assert_output hi
    run --separate-stderr ae -6 127.0.0.1 "$PORT" </dev/null
    assert_status 68
    assert_one_error "^aecat: resolve: "
}

@test "cli: -l -4 0 listens on 0.0.0.0, -l -6 0 on ::" {
    start_aecat_ready l4 -l -4 0
    [[ $READY_LINE =~ ^listening\ 0\.0\.0\.0\ [1-9][0-9]*$ ]] || fail "ready line: $READY_LINE"
    start_aecat_ready l6 -l -6 0
    [[ $READY_LINE =~ ^listening\ ::\ [1-9][0-9]*$ ]] || fail "ready line: $READY_LINE"
}

@test "cli: -s ADDR and -p PORT are the source the peer sees" {
    start_peer peer --send 'x\n' --then close --peername "$T/peername"
    local sp; sp=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2", 0)); print(s.getsockname()[1])')
    run ae -s 127.0.0.2 -p "$sp" 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_equal "$(cat "$T/peername")" "127.0.0.2 $sp"
}

@test "cli: -p P to 127.0.0.1 P connects to itself (simultaneous open): refused (69), --expect never sees its own --send" {
    local p; p=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    run --separate-stderr ae -p "$p" --send 'ping\n' --expect ping 127.0.0.1 "$p" </dev/null
    assert_status 69
    assert_one_error "^aecat: connect: connect to 127\.0\.0\.1 port $p: connected to itself "
    assert_output ""
    # the same over IPv6, and as a plain relay
    run --separate-stderr ae -6 -p "$p" ::1 "$p" </dev/null
    assert_status 69
    assert_one_error "^aecat: connect: connect to ::1 port $p: connected to itself "
}

@test "cli: -s ADDR alone" {
    start_peer peer --send 'x\n' --then close --peername "$T/peername"
    run ae --source 127.0.0.3 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    [[ $(cat "$T/peername") == "127.0.0.3 "* ]] || fail "peer saw $(cat "$T/peername")"
}

# ------------------------------------------------------------ --count, --until

@test "cli: --count 2 stops after two frames and exits 0 (peer keeps the connection open)" {
    start_peer peer --send 'one\ntwo\nthree\nfour\n' --then hold
    hold_open_stdin
    run_timed -- ae --frame line --count 2 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 0
    assert_equal "$output" $'one\ntwo'
    assert_elapsed 0 3
}

@test "cli: --until RE stops after the first matching frame and exits 0" {
    start_peer peer --send 'a\nb\nSTOP here\nc\n' --then hold
    hold_open_stdin
    run_timed -- ae --frame line --until '^STOP' 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 0
    assert_equal "$output" $'a\nb\nSTOP here'
    assert_elapsed 0 3
}

@test "cli: --until with a pattern that matches the empty string stops at the first frame; a pattern's match limit is no match, and -v says so" {
    start_peer peer --send 'a\nb\n' --then hold
    hold_open_stdin
    run_timed -- ae --frame line --until '^' 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 0
    assert_equal "$output" 'a'
    assert_elapsed 0 3
    start_peer peer2 --send "$(printf 'a%.0s' {1..40})b\nSTOP\n" --then hold
    run_timed -- ae -v --frame line --until '^(a+)+$|STOP' 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 0
    assert_line --regexp '^aecat: --until: frame 1: regex: match limit exceeded'
    assert_line 'STOP'
    assert_elapsed 0 5
}

@test "cli: --count with netstring frames and hex records" {
    start_peer peer --send '1:a,0:,2:bc,1:d,' --then hold
    hold_open_stdin
    run ae --frame netstring --records hex --count 3 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 0
    assert_equal "$output" $'61\n\n6263'
}

# ------------------------------------------------------------ -C

@test "cli: --count ends at once even when the peer never reads our queued data" {
    head -c 8M /dev/zero | tr '\0' 'x' | fold -w 1000 >"$T/lines"
    start_peer peer --send 'OK\n' --delay 0.3 --then hold --no-read
    run_timed -- ae --frame line --count 1 127.0.0.1 "$PORT" <"$T/lines"
    assert_status 0
    assert_output OK
    assert_elapsed 0 3
}

@test "cli: -C sends \\n as \\r\\n and never doubles an existing \\r\\n (raw)" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'a\nb\r\nc\n\r\nd' >"$T/in"
    ae_files "$T/in" /dev/null -C 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" "610d0a620d0a630d0a0d0a64"
}

@test "cli: -C with a \\r\\n split across reads is not doubled (stdin a slow pipe)" {
    start_peer peer --when eof --recv "$T/wire"
    run bash -c '{ printf "a\r"; sleep 0.3; printf "\nb\n"; } | timeout 10 "$1" -C 127.0.0.1 "$2"' _ "$AECAT" "$PORT"
    assert_status 0
    wait_for_match "$T/wire" 'b' 5
    assert_equal "$(hex "$T/wire")" "610d0a620d0a"
}

@test "cli: -C with --frame line writes \\r\\n line ends" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'x\ny\r\n' >"$T/in"
    ae_files "$T/in" /dev/null -C --frame line 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" "780d0a790d0a"
}

# ------------------------------------------------------------ --stats, -v

@test "cli: --stats prints one line in the documented format" {
    start_peer peer --when eof --send 'hi\n'
    printf 'hello\n' >"$T/in"
    ae_files "$T/in" "$T/out" --stats 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" hi
    assert_one_error '^aecat: stats: sent 6 bytes [0-9]+ frames, received 3 bytes [0-9]+ frames, in [0-9]+\.[0-9]+ s \([0-9]+\.[0-9]+ MB/s\)$'
}

@test "cli: --stats counts frames with a framing" {
    start_peer peer --when eof --send '2:hi,3:abc,'
    printf 'one\ntwo\nthree\n' >"$T/in"
    ae_files "$T/in" /dev/null --frame netstring --stats 127.0.0.1 "$PORT"
    assert_status 0
    assert_one_error '^aecat: stats: sent 20 bytes 3 frames, received 11 bytes 2 frames, in '
}

@test "cli: -v prints the connection events on stderr" {
    start_peer peer --when eof --send 'hi\n'
    ae_files /dev/null "$T/out" -v 127.0.0.1 "$PORT"
    assert_status 0
    grep -q "^aecat: connected to 127\.0\.0\.1 port $PORT" "$T/ae.err" || fail "no connect event: $stderr"
    grep -q "^aecat: stdin: end of file" "$T/ae.err" || fail "no stdin EOF event: $stderr"
    grep -q "closed the connection" "$T/ae.err" || fail "no close event: $stderr"
    assert_equal "$(cat "$T/out")" hi
}

@test "cli: without -v a clean run prints nothing on stderr" {
    start_peer peer --when eof --send 'hi\n'
    ae_files /dev/null "$T/out" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$stderr" ""
}

# ------------------------------------------------------------ signals, stdout

signal_case() {   # signal_case SIGNAL STATUS [aecat args]
    local sig=$1 want=$2; shift 2
    start_peer peer --send 'first\nsecond\n' --then hold
    hold_open_stdin
    spawn -i "$OPEN_STDIN" ae "$AECAT" "$@" 127.0.0.1 "$PORT"
    local pid=$SPAWN_PID
    wait_for_match "$T/ae.out" '^second$' 10
    kill -"$sig" "$pid"
    wait_pid "$pid" 5
    [ "$WAIT_RC" -eq "$want" ] || fail "exit $WAIT_RC after SIG$sig, expected $want: $(cat "$T/ae.err")"
    assert_equal "$(cat "$T/ae.out")" $'first\nsecond'
}

@test "cli: SIGINT exits 130, what was received is on stdout" { signal_case INT 130; }
@test "cli: SIGTERM exits 143, what was received is on stdout" { signal_case TERM 143; }
@test "cli: SIGTERM exits 143 with a framing (frames flushed)" { signal_case TERM 143 --frame line; }
@test "cli: SIGHUP exits 129, what was received is on stdout (caught, not a default death)" {
    signal_case HUP 129 -v
    grep -q '^aecat: hung up: flushing and exiting$' "$T/ae.err" || fail "SIGHUP not handled: $(cat "$T/ae.err")"
}

@test "cli: SIGINT while stdout is slow: frames already received are flushed" {
    head -c 2M /dev/urandom | od -An -v -tx1 | tr -d ' ' >"$T/lines"   # lines of hex text
    start_peer peer --send-file "$T/lines" --then hold
    hold_open_stdin
    mkfifo "$T/out.fifo"
    spawn -i "$OPEN_STDIN" ae "$AECAT" --frame line 127.0.0.1 "$PORT"
    local pid=$SPAWN_PID
    wait_for_match "$T/ae.out" . 10
    kill -INT "$pid"
    wait_pid "$pid" 5
    [ "$WAIT_RC" -eq 130 ] || fail "exit $WAIT_RC after SIGINT: $(cat "$T/ae.err")"
    # every line printed is whole (flushed frame by frame, never cut)
    [ "$(tail -c1 "$T/ae.out" | od -An -tx1 | tr -d ' ')" = 0a ] || fail "last line cut"
}

closed_stdout_case() {
    head -c 10M /dev/urandom | od -An -v -tx1 >"$T/big"
    start_peer peer --send-file "$T/big" --then hold
    run bash -c '"$1" "${@:4}" 127.0.0.1 "$2" </dev/null 2>"$3" | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"' \
        _ "$AECAT" "$PORT" "$@"
    assert_output 141
}

@test "cli: writing into a closed stdout exits 141 quietly (raw)" {
    closed_stdout_case "$T/err"
    assert_equal "$(cat "$T/err")" ""
}

@test "cli: writing into a closed stdout exits 141 quietly (--frame line)" {
    closed_stdout_case "$T/err" --frame line
    assert_equal "$(cat "$T/err")" ""
}

@test "cli: a closed stdin reads as empty; a closed stdout is refused" {
    start_peer peer --send 'hello\n' --then close
    run --separate-stderr bash -c '"$0" 127.0.0.1 "$1" <&-' "$AECAT" "$PORT"
    assert_status 0
    assert_output hello
    run --separate-stderr bash -c '"$0" 127.0.0.1 1 >&- </dev/null' "$AECAT"
    assert_status 74
    assert_one_error "^aecat: stdout: not open$"
}

# ------------------------------------------------------------ end of stream

@test "cli: --no-shutdown keeps the write side open (peer never sees EOF; -q 0.7 ends)" {
    start_peer peer --when eof --send 'reply after eof\n' --recv "$T/wire"
    printf 'data\n' >"$T/in"
    ae_files "$T/in" "$T/out" --no-shutdown -q 0.7 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" ""
    assert_elapsed 0.65 3
    wait_for_match "$T/wire" '^data$' 5
}

@test "cli: without --no-shutdown the same peer sees EOF and replies" {
    start_peer peer --when eof --send 'reply after eof\n'
    printf 'data\n' >"$T/in"
    ae_files "$T/in" "$T/out" -q 3 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "reply after eof"
}

@test "cli: -N is accepted (half-close is the default)" {
    start_peer peer --when eof --send 'ok\n'
    printf 'x\n' >"$T/in"
    ae_files "$T/in" "$T/out" -N 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" ok
}

@test "cli: the peer closes first while stdin is still open (--peer-eof-grace 0): 1000 frames flushed, exit 0" {
    seq 1 1000 | sed 's/^/line /' >"$T/lines"
    start_peer peer --send-file "$T/lines" --then close
    hold_open_stdin
    run_timed -- ae --frame line --peer-eof-grace 0 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 0
    assert_equal "$output" "$(cat "$T/lines")"
    assert_elapsed 0 3
}

@test "cli: the peer half-closes at once (empty stdin) and still gets all of ours" {
    # the listener's stdin is empty: it shuts down its write side at once
    start_aecat_listener lis
    head -c 3M /dev/urandom >"$T/in"
    # stdin a pipe that pauses: sent while it keeps having data
    bash -c 'head -c 1M "$0"; sleep 0.2; tail -c +1048577 "$0"' "$T/in" \
        | ae 127.0.0.1 "$LPORT" | cat >/dev/null   # pipes both sides: the splice path
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exit $WAIT_RC: $(cat "$T/lis.err")"
    cmp "$T/in" "$T/lis.out"
}

@test "cli: the peer closed completely: the rest of stdin is an error (74) naming the peer" {
    # the peer answers our first bytes and closes; stdin keeps coming after
    # the peer is gone: the writes meet a reset
    start_peer peer --when request --request-bytes 1 --send hi --then close
    run --separate-stderr bash -c 'for i in $(seq 1 50); do head -c 65536 /dev/zero; sleep 0.02; done | timeout 20 "$0" 127.0.0.1 "$1"' "$AECAT" "$PORT"
    assert_status 74
    assert_equal "$output" hi
    # a send meets the reset, or the read does when the peer closed with our bytes unread
    assert_one_error "^aecat: (send|recv): 127\.0\.0\.1 port $PORT: "
}

@test "cli: the demo (make demo) runs and exits 0" {
    run bash "$TOP/tests/demo.sh" </dev/null
    assert_status 0
    assert_output --partial "exit status: 65"
}

@test "cli: the demo's log in a file keeps every line, without colours" {
    bash "$TOP/tests/demo.sh" >"$T/log" 2>&1 </dev/null
    run head -n 2 "$T/log"
    assert_line --index 0 "== listener: netstrings on the wire -> lines on stdout (port 0 = any free port)"
    run grep -c -x -e hello -e 'framed world' -e '3:not,a:netstring' "$T/log"
    assert_output 6     # shown as sent, then as the listener printed them
    run grep -c $'\033' "$T/log"
    assert_output 0
    assert_equal "$(tail -n 1 "$T/log")" "== demo done: see README.md and man/aecat.1 for more"
}

@test "cli: the demo is in colour on a terminal, never with NO_COLOR" {
    script -qec "bash '$TOP/tests/demo.sh'" /dev/null </dev/null >"$T/tty" 2>&1
    grep -q $'\033\\[1m== listener' "$T/tty" || fail "no bold heading on a terminal: $(head -n 3 "$T/tty")"
    NO_COLOR=1 script -qec "bash '$TOP/tests/demo.sh'" /dev/null </dev/null >"$T/tty" 2>&1
    grep -q '== listener' "$T/tty" || fail "demo did not run: $(head -n 3 "$T/tty")"
    run grep -c $'\033' "$T/tty"
    assert_output 0
}
