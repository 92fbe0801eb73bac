#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Every example of README.md ("## Examples") and of man/aecat.1 (EXAMPLES and PROTOCOLS),
# run as written against a local server, so that no example can rot.
#
# tests/examples/extract.py takes the examples out of the two files; each
# test finds its examples by a piece of their text (ex_find) and runs their
# text itself, so a changed example changes what runs.  What the test adapts:
#   - aecat is a shell function that maps "HOST PORT" operands (and a
#     listener's PORT) to 127.0.0.1 and the port of the local server started
#     for that port (EX_PORT), adds the test CA and --servername localhost for
#     TLS names (EX_HOSTOPTS), maps socket paths (EX_PATH) and the
#     pin-sha256:BASE64 placeholder (EX_PIN), and bounds the run;
#   - commands of one example that run at the same time (a server and its
#     client) are run one logical line each (ex_line);
#   - "$ " transcripts in the man page are run and compared with the output
#     they show (ex_transcript).
# The last test checks that every example is found by some test.

load servers_helpers

EXAMPLES=$BATS_FILE_TMPDIR/examples

setup_file() {
    make_test_certs
    "$PYTHON" "$BATS_TEST_DIRNAME/examples/extract.py" "$BATS_TEST_DIRNAME/../README.md" \
        "$BATS_TEST_DIRNAME/../man/aecat.1" >"$EXAMPLES"
}

setup() {
    declare -gA EX_PORT=() EX_HOSTOPTS=() EX_PATH=()
    EX_PIN=''
    EX_DIR=$T/ex
    mkdir -p "$EX_DIR"
    cp "$CERTS"/{ca,srv,client}.{pem,key} "$EX_DIR/"
    EX_SRC=() EX_TXT=()
    local rec
    while IFS= read -r -d '' rec; do
        EX_SRC+=("${rec%%$'\n'*}")
        EX_TXT+=("${rec#*$'\n'}")
    done <"$EXAMPLES"
    [ ${#EX_TXT[@]} -ge 40 ] || fail "only ${#EX_TXT[@]} examples extracted"
}

teardown() {
    [ -z "${NGINX_PID:-}" ] || stop_nginx
    [ -z "${REDIS_PID:-}" ] || stop_redis
    [ -z "${EXIM_PID:-}" ] || stop_exim
    [ -z "${POSTGRES_PID:-}" ] || stop_postgres
    [ -z "${MOSQUITTO_PID:-}" ] || stop_mosquitto
    [ -z "${MARIADB_PID:-}" ] || stop_mariadb
    [ -z "${DNSMASQ_PID:-}" ] || stop_dnsmasq
    stop_all
}

# Names the examples use for the server, and the options whose next word is
# a value, not a port.
EX_HOSTS=" localhost example.org db.internal db host mail.example.org receiver app.internal srv.example.org svc.example.org 127.0.0.1 "
EX_VALUED=" -q -w --timeout --count --step-timeout --retry-until --connect-timeout --rtimeout --wtimeout --deadline --max-frame -p --source-port --sleep "

aecat() {
    local args=("$@") out=() pre=() i w next prev
    for ((i = 0; i < ${#args[@]}; i++)); do
        w=${args[i]} next=${args[i + 1]-} prev=''
        [ "$i" -eq 0 ] || prev=${args[i - 1]}
        if [[ $EX_HOSTS == *" $w "* && -n $next && -n ${EX_PORT[$next]-} ]]; then
            out+=(127.0.0.1 "${EX_PORT[$next]}")
            # shellcheck disable=SC2206  # options, split on purpose
            pre+=(${EX_HOSTOPTS[$w]-})
            i=$((i + 1))
        elif [[ $w =~ ^[0-9]+$ && -n ${EX_PORT[$w]-} && $EX_VALUED != *" $prev "* ]]; then
            out+=("${EX_PORT[$w]}")
        elif [ -n "${EX_PATH[$w]-}" ]; then
            out+=("${EX_PATH[$w]}")
        elif [ "$w" = pin-sha256:BASE64 ]; then
            out+=("$EX_PIN")
        else
            out+=("$w")
        fi
    done
    timeout -k 2 "$AE_LIMIT" "$AECAT" "${pre[@]}" "${out[@]}"
}

# ex_find TEXT: EX_IDS, the examples whose text contains TEXT (at least one).
ex_find() {
    local i
    EX_IDS=()
    for i in "${!EX_TXT[@]}"; do
        [[ ${EX_TXT[i]} == *"$1"* ]] && EX_IDS+=("$i")
    done
    [ ${#EX_IDS[@]} -gt 0 ] || fail "no example contains: $1"
}

# ex_lines ID [transcript]: EX_LINES, the logical lines of example ID (a
# line ending in "\" or "|" goes on with the next one; comments after a
# command kept).  In a transcript a "|" at the end continues only a "$ "
# command: a line it printed may end with one (a hex dump's).
ex_lines() {
    local l cur='' transcript=${2:-}
    EX_LINES=()
    while IFS= read -r l; do
        if [ -n "$cur" ]; then l=${l#"${l%%[! ]*}"}; fi
        if [[ $l == *\\ ]]; then cur+=${l%\\}; continue; fi
        if [[ $l == *'|' && ( -z $transcript || ${cur:-$l} == '$ '* ) ]]; then cur+="$l "; continue; fi
        EX_LINES+=("$cur$l")
        cur=''
    done <<<"${EX_TXT[$1]}"
}

# ex_exec CMD: runs the shell text CMD in $EX_DIR (dir=$EX_DIR for the man
# page's "$dir"), stdin $EX_IN (default /dev/null); sets status, output
# (stdout) and stderr.
ex_exec() {
    status=0
    (cd "$EX_DIR" && dir=$EX_DIR && eval "$1") <"${EX_IN:-/dev/null}" >"$T/ex.out" 2>"$T/ex.err" ||
        status=$?
    output=$(cat "$T/ex.out")
    stderr=$(cat "$T/ex.err")
}

# ex_run ID: the whole example ID, as ex_exec.
ex_run() {
    ex_exec "${EX_TXT[$1]}"
}

# ex_spawn NAME CMD: ex_exec in the background, stdin $EX_IN, into
# $T/NAME.out and $T/NAME.err; sets SPAWN_PID.
ex_spawn() {
    local name=$1
    (cd "$EX_DIR" && dir=$EX_DIR && eval "$2") <"${EX_IN:-/dev/null}" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
    SPAWN_PID=$!
    PIDS+=("$SPAWN_PID")
}

# ex_wait_port PORT: until something listens on 127.0.0.1 PORT.
ex_wait_port() {
    local end=$(( $(now_us) + 10000000 ))
    until srv_listening "$1"; do
        [ "$(now_us)" -lt "$end" ] || fail "nothing listens on port $1 after 10 s"
        sleep 0.02
    done
}

# ex_free_port PORT: EX_PORT[PORT], a free local port for a listener.
ex_free_port() {
    local ex_found            # not "p": srv_free_port has a local of that name
    srv_free_port ex_found || fail "no free port"
    EX_PORT[$1]=$ex_found
}

# ex_transcript ID: runs the "$ CMD" lines of a man page transcript and
# compares what they print (stdout, then stderr, the local ports written
# back as the example's) with the lines that follow them; "$ echo $?"
# compares the status of the command before.
ex_transcript() {
    local l cmd='' want='' got last=0 k
    ex_lines "$1" transcript
    EX_LINES+=('$ ')              # ends the last command's output
    for l in "${EX_LINES[@]}"; do
        if [[ $l != '$ '* ]]; then
            want+="$l"$'\n'
            continue
        fi
        if [ -n "$cmd" ]; then
            if [ "$cmd" = 'echo $?' ]; then
                got="$last"$'\n'
            else
                ex_exec "$cmd"
                last=$status
                got=$(cat "$T/ex.out" "$T/ex.err")
                for k in "${!EX_PORT[@]}"; do got=${got//port ${EX_PORT[$k]}/port $k}; done
                got+=$'\n'
            fi
            [ "$got" = "$want" ] || fail "${EX_SRC[$1]}: \$ $cmd
-- printed --
$got-- the example shows --
$want"
        fi
        cmd=${l#'$ '} want=''
    done
}

# ex_out_is ID TEXT / ex_ok ID: the example ran with status 0 (and printed TEXT).
ex_ok() {
    [ "$status" -eq 0 ] || fail "${EX_SRC[$1]} exited $status:
${EX_TXT[$1]}
-- stdout --
$output
-- stderr --
$stderr"
}
ex_out_is() {
    ex_ok "$1"
    [ "$output" = "$2" ] || fail "${EX_SRC[$1]} printed
$output
-- expected --
$2"
}

# ------------------------------------------------------------------ HTTP (nginx)

@test "examples: HTTP smoke test with --until, against nginx" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    EX_PORT[8080]=$NGINX_PORT
    ex_find "--frame line --until '^\$' localhost 8080"
    for id in "${EX_IDS[@]}"; do
        rm -f "$EX_DIR/hdr"
        ex_run "$id"
        ex_ok "$id"
        grep -q '^HTTP/1\.1 200 ' "$EX_DIR/hdr" || fail "hdr: $(cat "$EX_DIR/hdr")"
    done
}

@test "examples: HTTP health check as a dialog, against nginx" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    EX_PORT[8080]=$NGINX_PORT
    ex_find "--expect '^HTTP/1\.[01] 200 '"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_out_is "$id" "HTTP/1.1 200 "
    done
}

@test "examples: only the status line (HEAD, --count 1), against nginx" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    EX_PORT[80]=$NGINX_PORT
    ex_find "printf 'HEAD / HTTP/1.0"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_out_is "$id" "HTTP/1.1 200 OK"
    done
}

@test "examples: pipelined HEAD and GET with --frame http, against nginx" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    EX_PORT[80]=$NGINX_PORT
    ex_find "--frame http --count 2"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        assert_equal "$(grep -c '^HTTP/1.1 200 OK' <<<"$output")" 2
        assert_equal "$(tail -n1 <<<"$output")" "$NGINX_BODY"
    done
    ex_find "--frame http --recv-records json --send"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        [[ $output == '"HTTP/1.1 200 OK\r\n'*'\r\n\r\nhello from nginx\n"' ]] || fail "$output"
    done
}

@test "examples: an HTTPS request, against nginx" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    EX_PORT[443]=$NGINX_TLS_PORT
    EX_HOSTOPTS[example.org]="--ca $CERTS/ca.pem --servername localhost"
    ex_find "aecat --tls example.org 443"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        [[ $output == 'HTTP/1.1 200 OK'*'hello from nginx' ]] || fail "$output"
    done
}

@test "examples: --tls-info on a server's certificate, against nginx" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    EX_PORT[443]=$NGINX_TLS_PORT
    EX_HOSTOPTS[example.org]="--ca $CERTS/ca.pem --servername localhost"
    ex_find "aecat --tls --tls-info example.org 443 </dev/null"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        [[ $stderr == *"verification ok"* ]] || fail "$stderr"
    done
}

# ------------------------------------------------------------------ Redis, PostgreSQL, SMTP (exim)

@test "examples: Redis PING dialogs and the JSON log, against redis-server" {
    need redis-server jq
    start_redis "$T/redis" || fail "redis did not start"
    EX_PORT[6379]=$REDIS_PORT
    ex_find "--expect '^\+PONG' localhost 6379"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_out_is "$id" "+PONG"
    done
    ex_find "--json-log run.jsonl"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        [[ $output == '+PONG'*true ]] || fail "$output"    # aecat's stdout, then jq's
    done
}

@test "examples: Redis commands as redis-cli lines, replies as JSON lines (--frame resp), against redis-server" {
    need redis-server
    start_redis "$T/redis" || fail "redis did not start"
    EX_PORT[6379]=$REDIS_PORT
    ex_find "aecat --frame resp --count 2 localhost 6379"
    [ ${#EX_IDS[@]} -ge 1 ] || fail "README example expected"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_out_is "$id" $'"OK"\n"v"'
    done
    ex_find "aecat --frame resp --count 3 localhost 6379"
    for id in "${EX_IDS[@]}"; do ex_transcript "$id"; done
    ex_find "CLIENT TRACKING on"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        [[ $output == '{"server":"redis",'*$'\n"OK"\n'* && $output == *'{"push":["invalidate",["k"]]}'* ]] ||
            fail "$output"
    done
    ex_find "aecat --frame resp --send PING --expect PONG localhost 6379"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_out_is "$id" '"PONG"'
    done
}

@test "examples: whole SMTP replies (--frame smtp), plain and in a dialog, against exim" {
    need exim4
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "exim did not start"
    EX_PORT[25]=$EXIM_PORT
    ex_find "| aecat --frame smtp mail.example.org 25"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        [[ $output == '220 localhost ESMTP'*$'\r\n250-localhost Hello client.example'*$'\r\n250 HELP\r\n221 '*$'\r' ]] ||
            fail "$output"
    done
    ex_find "aecat --frame smtp --recv-records json --expect"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        mapfile -t got <<<"$output"
        [ "${#got[@]}" -eq 3 ] || fail "$output"
        [[ ${got[1]} == '"250-localhost Hello client.example '*'\r\n250 HELP\r\n"' ]] || fail "$output"
    done
}

@test "examples: --hexdump of a dialog, against redis-server (README; man page transcript)" {
    need redis-server
    start_redis "$T/redis" || fail "redis did not start"
    EX_PORT[6379]=$REDIS_PORT
    ex_find "aecat --hexdump --frame line --send PING --expect PONG localhost 6379"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        if [[ ${EX_TXT[id]} == '$ '* ]]; then
            ex_transcript "$id"
        else
            ex_run "$id"
            ex_out_is "$id" "+PONG"
            [[ $stderr == *'< 00000000  2b 50 4f 4e 47 0d 0a       '*'|+PONG..|'* ]] || fail "$stderr"
        fi
    done
}

@test "examples: wait for PostgreSQL to accept TLS (--retry-until, --starttls postgres)" {
    need "${POSTGRES_BIN:-/nonexistent}/postgres"
    start_postgres "$T/pg" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "postgres did not start"
    EX_PORT[5432]=$POSTGRES_PORT
    EX_HOSTOPTS[db.internal]="--servername localhost"
    ex_find "--starttls postgres --ca ca.pem db.internal 5432"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
    done
}

@test "examples: PostgreSQL's SSLRequest as a len:pg-startup message, against postgres" {
    need "${POSTGRES_BIN:-/nonexistent}/postgres"
    start_postgres "$T/pg" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "postgres did not start"
    EX_PORT[5432]=$POSTGRES_PORT
    ex_find "--send-frame len:pg-startup"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_out_is "$id" S
    done
}

@test "examples: a PostgreSQL query through the switch len:pg-startup>>len:pg, against postgres" {
    need "${POSTGRES_BIN:-/nonexistent}/postgres"
    start_postgres "$T/pg" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "postgres did not start"
    EX_PORT[5432]=$POSTGRES_PORT
    ex_find "echo 510000000e53454c45435420313b00"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        # AuthenticationOk first, the DataRow of "1", ReadyForQuery twice
        [[ $output == 520000000800000000$'\n'* && $output == *$'\n'440000000b00010000000131$'\n'* ]] ||
            fail "unexpected replies: $output"
    done
}

@test "examples: an MQTT CONNECT answered by CONNACK (len:mqtt), against mosquitto" {
    need mosquitto
    start_mosquitto "$T/mqtt" || fail "mosquitto did not start"
    EX_PORT[1883]=$MOSQUITTO_PORT
    ex_find "echo 101100044d5154540402003c00056165636174 |"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_out_is "$id" 20020000
    done
}

@test "examples: does the mail server offer STARTTLS (--starttls smtp --tls-info), against exim" {
    need exim4
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "exim did not start"
    EX_PORT[25]=$EXIM_PORT
    EX_HOSTOPTS[mail.example.org]="--ca $CERTS/ca.pem --servername localhost"
    ex_find "--starttls smtp --tls-info"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        assert_equal "$output" 221        # after the TLS handshake: what the expect read
    done
}

@test "examples: a whole multi-line SMTP greeting as one frame (regex:), against exim" {
    need exim4
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "exim did not start"
    EX_PORT[25]=$EXIM_PORT
    ex_find "--recv-frame 'regex:(?m)^\d{3}"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_lines "$id"
        for l in "${EX_LINES[@]}"; do
            [[ $l == *regex:* ]] || continue
            ex_exec "$l"
            ex_ok "$id"
            [[ $output == '220 localhost ESMTP'*$'\r' ]] || fail "$output"
        done
    done
}

@test "examples: a hand-made STARTTLS on a line protocol, then the relay over TLS (aecat as the server)" {
    printf 'server data\n' >"$T/srv.in"
    printf 'client data\n' >"$T/in"
    EX_HOSTOPTS[host]="--ca $CERTS/ca.pem --servername localhost"
    EX_IN=$T/in
    ex_find "--send STARTTLS --expect '^GO'"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_aecat_listener -i "$T/srv.in" "srv$id" --frame line --cert "$CERTS/srv.pem" \
            --key "$CERTS/srv.key" --send OK --expect '^STARTTLS$' --send GO --starttls now --then-relay
        EX_PORT[7000]=$LPORT
        ex_run "$id"
        ex_out_is "$id" "$(printf 'OK\nGO\nserver data')"
        wait_pid "$AE_PID"
        assert_equal "$(cat "$T/srv$id.out")" "$(printf 'STARTTLS\nclient data')"
    done
}

@test "examples: aecat plays an IMAP server with STARTTLS (-l --starttls imap --then-relay)" {
    printf 'a1 OK from the server\n' >"$T/srv.in"
    ex_free_port 1143
    ex_find "aecat -l 127.0.0.1 1143 --ready --starttls imap --then-relay"
    for id in "${EX_IDS[@]}"; do
        EX_IN=$T/srv.in ex_spawn srv "${EX_TXT[$id]}"
        wait_for_match "$T/srv.err" '^listening 127\.0\.0\.1 [0-9]+ pin-sha256:'
        pin=$(sed -n 's/^listening .* \(pin-sha256:[^ ]*\)$/\1/p' "$T/srv.err")
        run --separate-stderr ae --starttls imap --then-relay --pin "$pin" 127.0.0.1 "${EX_PORT[1143]}" </dev/null
        assert_status 0
        [[ $output == *'a1 OK from the server'* ]] || fail "$output"
    done
}

# ------------------------------------------------------------------ framed services (Python peers)

@test "examples: talk netstrings to a service" {
    ex_find "--frame netstring --count 1 localhost 7000"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_peer p --when request --request-bytes 7 --send '4:PONG,' --recv "$T/p.recv"
        EX_PORT[7000]=$PORT
        ex_run "$id"
        ex_out_is "$id" PONG
        assert_equal "$(cat "$T/p.recv")" "4:PING,"
    done
}

@test "examples: lines -> 32-bit length-prefixed frames, replies as hex, through an echo server" {
    printf 'SELECT 1\nSELECT 2\n' >"$EX_DIR/queries.txt"
    ex_find "--frame packstring:N"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_socat_listener echo TCP4-LISTEN:0,bind=127.0.0.1 EXEC:cat
        EX_PORT[5000]=$PORT
        rm -f "$EX_DIR/replies.hex"
        ex_run "$id"
        ex_ok "$id"
        assert_equal "$(cat "$EX_DIR/replies.hex")" $'53454c4543542031\n53454c4543542032'
    done
}

@test "examples: hex dump of the first three gRPC-framed messages of a raw stream" {
    ex_find "--frame packstring:grpc --records hex --count 3"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_peer p --send-hex '00000000026869''000000000121''0000000000''000000000178' --then hold
        EX_PORT[50051]=$PORT
        ex_run "$id"
        ex_ok "$id"
        assert_equal "$(hex "$T/ex.out")" "$(printf '6869\n21\n\n' | od -An -v -tx1 | tr -d ' \n')"
    done
}

@test "examples: JSON-RPC over TCP, one request, one reply" {
    ex_find '"method":"ping"'
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_peer p --when request --send '{"jsonrpc":"2.0","id":1,"result":"pong"}\n' --then hold
        EX_PORT[4000]=$PORT
        ex_run "$id"
        ex_out_is "$id" '{"jsonrpc":"2.0","id":1,"result":"pong"}'
    done
}

@test "examples: a JSON-RPC smoke test (dialog with --reject and --expect)" {
    ex_find '"method":"health"'
    for id in "${EX_IDS[@]}"; do
        start_peer p --when request --request-bytes 10 --send '{"jsonrpc":"2.0","id":1,"result":"ok"}\n' --then hold
        EX_PORT[4000]=$PORT
        ex_run "$id"
        ex_out_is "$id" '{"jsonrpc":"2.0","id":1,"result":"ok"}'
    done
}

@test "examples: a stream of JSON texts into jq; a JSON file sent as one text" {
    need jq
    printf '{\n  "q": 1\n}\n' >"$EX_DIR/req.json"
    ex_find "aecat --frame json host 9000 </dev/null | jq -c ."
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_lines "$id"
        for l in "${EX_LINES[@]}"; do
            if [[ $l == *'| jq -c .' ]]; then
                start_peer p --send '{"a": 1}\n[1,\n 2] "x"' --then close
                EX_PORT[9000]=$PORT
                ex_exec "$l"
                ex_out_is "$id" $'{"a":1}\n[1,2]\n"x"'
            else
                start_peer p --when request --send '{"ok": true}\n' --recv "$T/p.recv" --then hold
                EX_PORT[9000]=$PORT
                ex_exec "$l"
                ex_out_is "$id" '{"ok":true}'
                assert_equal "$(cat "$T/p.recv")" '{"q":1}'
            fi
        done
    done
}

@test "examples: netstrings as JSON Lines (the man page shows the output)" {
    ex_find "--frame netstring --records json localhost 7000 </dev/null"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_peer p --send '5:hello,9:two\nlines,2:\xff\xfe,' --then close
        EX_PORT[7000]=$PORT
        ex_lines "$id"
        ex_exec "${EX_LINES[0]}"
        ex_ok "$id"
        if [ ${#EX_LINES[@]} -gt 1 ]; then
            want=$(printf '%s\n' "${EX_LINES[@]:1}")
            assert_equal "$output" "$want"
        fi
    done
}

@test "examples: malformed JSON on stdin is refused at its byte (man page transcript)" {
    start_peer p --then hold
    EX_PORT[9000]=$PORT
    ex_find "\$ printf '{\"a\":01}' | aecat --frame json localhost 9000"
    for id in "${EX_IDS[@]}"; do ex_transcript "$id"; done
}

@test "examples: CBOR items as hex lines, or stored as a CBOR sequence file" {
    ex_find "--frame cbor --records hex host 9000 </dev/null"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_lines "$id"
        for l in "${EX_LINES[@]}"; do
            start_peer p --send-hex '0a63616263' --then close
            EX_PORT[9000]=$PORT
            rm -f "$EX_DIR/items.cbor"
            ex_exec "$l"
            ex_ok "$id"
            if [[ $l == *'>items.cbor' ]]; then
                assert_equal "$(hex "$EX_DIR/items.cbor")" 0a63616263
            else
                assert_equal "$output" $'0a\n63616263'
            fi
        done
    done
}

@test "examples: send the CBOR item of a file (xxd), print the reply as hex" {
    need xxd
    printf '\x83\x01\x02\x03' >"$EX_DIR/item.cbor"
    ex_find "xxd -p -c 0 item.cbor | aecat --frame cbor"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_peer p --when request --request-bytes 4 --send-hex a0 --recv "$T/p.recv" --then hold
        EX_PORT[9000]=$PORT
        ex_run "$id"
        ex_out_is "$id" a0
        assert_equal "$(hex "$T/p.recv")" 83010203
    done
}

@test "examples: bad CBOR is named, not passed on (README comment, man page transcript)" {
    start_peer p --then hold
    EX_PORT[9000]=$PORT
    start_peer p2 --send-hex 0a1805 --then close
    EX_PORT[9001]=$PORT
    ex_find "echo 1805 | aecat --frame cbor host 9000"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        [ "$status" -eq 65 ] || fail "exit $status, the comment says 65: $stderr"
        [[ $stderr == *'cbor: non-canonical length' ]] || fail "$stderr"
    done
    ex_find "\$ echo 1805 | aecat --frame cbor localhost 9000"
    for id in "${EX_IDS[@]}"; do ex_transcript "$id"; done
}

@test "examples: records separated by blank lines, printed as netstrings" {
    ex_find "--recv-frame 'line:/\r?\n\r?\n/' --records netstring host 9000"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_lines "$id"
        start_peer p --send 'a: 1\nb: 2\n\nc: 3\r\n\r\nlast' --then close
        EX_PORT[9000]=$PORT
        ex_exec "${EX_LINES[0]}"
        ex_out_is "$id" $'9:a: 1\nb: 2,4:c: 3,4:last,'
    done
}

@test "examples: timeouts in a script, telling the failures apart" {
    ex_find "--connect-timeout 2 --rtimeout 1 --frame line --count 1"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_peer p --send 'hello\n' --then hold
        EX_PORT[5432]=$PORT
        ex_run "$id"
        ex_out_is "$id" up
        start_peer p2 --then hold          # says nothing: --rtimeout
        EX_PORT[5432]=$PORT
        ex_run "$id"
        ex_out_is "$id" "timed out"
    done
}

# ------------------------------------------------------------------ aecat to aecat

@test "examples: a listener on any free port, its port read from --ready=3" {
    ex_find "--frame netstring --ready=3"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        rm -f "$EX_DIR/ready" "$EX_DIR/out"
        ex_run "$id"
        ex_ok "$id"
        assert_equal "$(cat "$EX_DIR/out")" $'hello\nworld'
    done
}

@test "examples: copy a directory with tar (the receiver sees EOF when tar ends)" {
    mkdir -p "$EX_DIR/src/dir" "$EX_DIR/recv"
    head -c 200000 /dev/urandom >"$EX_DIR/src/dir/blob"
    printf 'text\n' >"$EX_DIR/src/dir/note"
    ex_find "tar cf - dir | aecat receiver 9000"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        rm -rf "$EX_DIR/recv/dir"
        ex_free_port 9000
        ex_lines "$id"
        EX_DIR=$EX_DIR/recv ex_spawn recv "${EX_LINES[0]}"
        ex_wait_port "${EX_PORT[9000]}"
        EX_DIR=$EX_DIR/src ex_exec "${EX_LINES[1]}"
        ex_ok "$id"
        wait_pid "$SPAWN_PID"
        [ "$WAIT_RC" -eq 0 ] || fail "receiver exited $WAIT_RC: $(cat "$T/recv.err")"
        cmp "$EX_DIR/src/dir/blob" "$EX_DIR/recv/dir/blob"
        cmp "$EX_DIR/src/dir/note" "$EX_DIR/recv/dir/note"
    done
}

@test "examples: Unix-domain and abstract sockets" {
    EX_PATH[/run/app.sock]=$EX_DIR/app.sock
    EX_PATH[/tmp/test.sock]=$EX_DIR/test.sock
    EX_PATH[@myservice]=@aecat-examples-$$
    ex_find "aecat -U /run/app.sock --frame line --count 1 <<<'STATUS'"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_lines "$id"
        for l in "${EX_LINES[@]}"; do
            case $l in
            *app.sock*)
                rm -f "$EX_DIR/app.sock"
                start_socat_listener app "UNIX-LISTEN:$EX_DIR/app.sock" SYSTEM:'read -r l; echo "OK $l"'
                ex_exec "$l"
                ex_out_is "$id" "OK STATUS" ;;
            *@myservice*)
                start_socat_listener abs "ABSTRACT-LISTEN:aecat-examples-$$" SYSTEM:'echo hello'
                ex_exec "$l"
                ex_out_is "$id" hello ;;
            *test.sock*)
                printf 'from the listener\n' >"$T/l.in"
                EX_IN=$T/l.in ex_spawn lst "$l"
                wait_for_match "$T/lst.err" '^listening unix '
                run --separate-stderr ae -U "$EX_DIR/test.sock" </dev/null
                assert_status 0
                assert_output 'from the listener' ;;
            *) fail "unexpected line: $l" ;;
            esac
        done
    done
}

@test "examples: send a file to an echo service with -q 1 --stats" {
    head -c 1000000 /dev/urandom >"$EX_DIR/big.bin"
    ex_find "aecat -q 1 --stats host 7 <big.bin >echoed.bin"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_socat_listener echo TCP4-LISTEN:0,bind=127.0.0.1 EXEC:cat
        EX_PORT[7]=$PORT
        rm -f "$EX_DIR/echoed.bin"
        ex_run "$id"
        ex_ok "$id"
        cmp "$EX_DIR/big.bin" "$EX_DIR/echoed.bin"
        [[ $stderr == *1000000* ]] || fail "no byte count in --stats: $stderr"
    done
}

# ------------------------------------------------------------------ TLS, aecat to aecat

@test "examples: a TLS server with an ephemeral certificate, a client that trusts its pin" {
    printf 'from the server\n' >"$T/srv.in"
    printf 'from the client\n' >"$T/cli.in"
    ex_find "aecat --tls --pin pin-sha256:BASE64 127.0.0.1 8443"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_free_port 8443
        ex_lines "$id"
        EX_IN=$T/srv.in ex_spawn srv "${EX_LINES[0]}"
        wait_for_match "$T/srv.err" '^listening .* pin-sha256:'
        EX_PIN=$(sed -n 's/^listening .* \(pin-sha256:[^ ]*\)$/\1/p' "$T/srv.err")
        EX_IN=$T/cli.in ex_exec "${EX_LINES[1]}"
        ex_out_is "$id" 'from the server'
        wait_pid "$SPAWN_PID"
        assert_equal "$(cat "$T/srv.out")" 'from the client'
    done
}

@test "examples: the same in a script, the port and the pin read from --ready=3" {
    ex_find "read -r _ host port pin"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        wait_for_match "$EX_DIR/out" '^hello$'
    done
}

@test "examples: mutual TLS" {
    printf 'from the server\n' >"$T/srv.in"
    printf 'from the client\n' >"$T/cli.in"
    EX_HOSTOPTS[srv.example.org]="--servername localhost"
    ex_find "--verify-client --ca ca.pem --cert srv.pem --key srv.key 8443"
    for id in "${EX_IDS[@]}"; do
        ex_free_port 8443
        ex_lines "$id"
        EX_IN=$T/srv.in ex_spawn srv "${EX_LINES[0]}"
        ex_wait_port "${EX_PORT[8443]}"
        EX_IN=$T/cli.in ex_exec "${EX_LINES[1]}"
        ex_out_is "$id" 'from the server'
        wait_pid "$SPAWN_PID"
        assert_equal "$(cat "$T/srv.out")" 'from the client'
    done
}

@test "examples: TLS and plaintext clients on one port (--tls-auto)" {
    ex_find "--tls-auto --cert srv.pem --key srv.key"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_lines "$id"
        server=${EX_LINES[0]} clients=("${EX_LINES[@]:1}")
        # the README shows the server only: the man page's clients then
        [ ${#clients[@]} -gt 0 ] || clients=('echo hello | aecat --tls --ca ca.pem srv.example.org 8443'
                                             'echo hello | aecat srv.example.org 8443')
        for c in "${clients[@]}"; do
            ex_free_port 8443
            ex_spawn srv "$server"        # -l serves one connection: one server per client
            ex_wait_port "${EX_PORT[8443]}"
            EX_HOSTOPTS[srv.example.org]=''
            [[ $c != *--tls* ]] || EX_HOSTOPTS[srv.example.org]="--servername localhost"
            ex_exec "$c"
            ex_ok "$id"
            wait_pid "$SPAWN_PID"
            [ "$WAIT_RC" -eq 0 ] || fail "server exited $WAIT_RC: $(cat "$T/srv.err")"
            assert_equal "$(cat "$T/srv.out")" hello
        done
    done
}

@test "examples: framing over TLS, one netstring request, one reply" {
    printf 'PONG\n' >"$T/srv.in"
    EX_HOSTOPTS[svc.example.org]="--ca $CERTS/ca.pem --servername localhost"
    ex_find "--tls --frame netstring --count 1 svc.example.org 7443"
    for id in "${EX_IDS[@]}"; do
        start_aecat_listener -i "$T/srv.in" "srv$id" --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" \
            --frame netstring
        EX_PORT[7443]=$LPORT
        ex_run "$id"
        ex_out_is "$id" PONG
        wait_pid "$AE_PID"
        assert_equal "$(cat "$T/srv$id.out")" PING
    done
}

# ------------------------------------------------------------------ probes (-z)

@test "examples: -z -v on two ports: both open (README), one refused (man page transcript)" {
    local id a
    ex_find "aecat -z -v localhost 8080,8443 </dev/null"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        start_peer a --then hold
        a=$PORT
        if [[ ${EX_TXT[$id]} == '$ '* ]]; then
            srv_free_port PORT || fail "no free port"      # nothing listens there
        else
            start_peer b --then hold
        fi
        EX_PORT=([8080]=$a [8443]=$PORT [8080,8443]=$a,$PORT)
        if [[ ${EX_TXT[$id]} == '$ '* ]]; then
            ex_transcript "$id"
            continue
        fi
        ex_run "$id"
        ex_ok "$id"
        assert_equal "$stderr" "aecat: 127.0.0.1 port $a: open
aecat: 127.0.0.1 port $PORT: open"
    done
}

@test "examples: -z --retry-until waits for a TLS server that comes up later, its certificate verified" {
    local id
    EX_HOSTOPTS[srv.example.org]="--servername localhost"
    ex_find "aecat -z --retry-until 60 --tls --ca ca.pem srv.example.org 8443 </dev/null"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        ex_free_port 8443
        spawn late sh -c "sleep 0.5; exec gnutls-serv -p ${EX_PORT[8443]} --x509certfile $CERTS/srv.pem --x509keyfile $CERTS/srv.key"
        ex_run "$id"
        ex_out_is "$id" ''
        [ -z "$stderr" ] || fail "$stderr"
        stop_all
        # a certificate the CA did not sign: 76 when the time is up (1 s here)
        ex_free_port 8443
        spawn self gnutls-serv -p "${EX_PORT[8443]}" --x509certfile "$CERTS/self.pem" --x509keyfile "$CERTS/self.key"
        ex_wait_port "${EX_PORT[8443]}"
        ex_exec "${EX_TXT[$id]/--retry-until 60/--retry-until 1}"
        [ "$status" -eq 76 ] || fail "exit $status: $stderr"
        [[ $stderr == *"aecat: tls: handshake with 127.0.0.1 port ${EX_PORT[8443]} failed: "*"(--retry-until: "* ]] ||
            fail "$stderr"
        stop_all
    done
}

@test "examples: -z --starttls smtp on two ports, against aecat's smtp server preset" {
    local id a
    EX_HOSTOPTS[mail.example.org]="--servername localhost"
    ex_find "aecat -z -v --starttls smtp --ca ca.pem mail.example.org 25,587"
    for id in "${EX_IDS[@]}"; do
        start_aecat_listener s25 --starttls smtp --cert "$CERTS/srv.pem" --key "$CERTS/srv.key"
        a=$LPORT
        start_aecat_listener s587 --starttls smtp --cert "$CERTS/srv.pem" --key "$CERTS/srv.key"
        EX_PORT[25,587]=$a,$LPORT
        ex_run "$id"
        ex_out_is "$id" ''
        [[ $stderr =~ ^"aecat: 127.0.0.1 port $a: open, tls ok (TLS1."[23]", verified)"$'\n'"aecat: 127.0.0.1 port $LPORT: open, tls ok (TLS1."[23]", verified)"$ ]] ||
            fail "$stderr"
    done
}

# ------------------------------------------------------------------ programs (-e, -c, --inetd)

# ex_served ID TEXT: runs example ID's first logical line as a server on
# EX_PORT[9000] and its second as the client, which must print TEXT.
ex_served() {
    ex_free_port 9000
    ex_lines "$1"
    ex_spawn srv "${EX_LINES[0]}"
    ex_wait_port "${EX_PORT[9000]}"
    ex_exec "${EX_LINES[1]}"
    ex_out_is "$1" "$2"
    wait_pid "$SPAWN_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "server exited $WAIT_RC: $(cat "$T/srv.err")"
}

# ex_accepted PORT N: until aecat has accepted N connections on PORT (a
# socket still in the listen backlog names no process).
ex_accepted() {
    local end=$(( $(now_us) + 10000000 ))
    until [ "$(ss -tnpH state established "( sport = :$1 )" 2>/dev/null | grep -c '"aecat"')" -ge "$2" ]; do
        [ "$(now_us)" -lt "$end" ] || fail "aecat did not accept $2 connections on port $1"
        sleep 0.02
    done
}

@test "examples: a log sink for many clients (-k --tag)" {
    local id
    ex_find "aecat -l -k --frame line --tag 9000 </dev/null >>sink.log"
    [ ${#EX_IDS[@]} -ge 2 ] || fail "README and man page examples expected"
    for id in "${EX_IDS[@]}"; do
        rm -f "$EX_DIR/sink.log"
        ex_free_port 9000
        ex_lines "$id"
        ex_spawn srv "${EX_LINES[0]}"
        ex_wait_port "${EX_PORT[9000]}"
        ex_exec "${EX_LINES[1]}"
        ex_ok "$id"
        ex_exec "${EX_LINES[1]}"
        ex_ok "$id"
        until [ "$(wc -l <"$EX_DIR/sink.log")" -ge 2 ]; do sleep 0.02; done
        run cat "$EX_DIR/sink.log"
        [[ ${lines[0]} =~ ^1$'\t'127\.0\.0\.1:[0-9]+$'\t'started$ && ${lines[1]} =~ ^2$'\t'127\.0\.0\.1:[0-9]+$'\t'started$ ]] ||
            fail "$output"
        stop_all
    done
}

@test "examples: a live feed of a file's new lines for every client (-k)" {
    local id
    ex_find "tail -n 0 -f app.log | aecat -l -k --frame line 9000"
    for id in "${EX_IDS[@]}"; do
        : >"$EX_DIR/app.log"
        ex_free_port 9000
        ex_spawn srv "${EX_TXT[$id]}"
        ex_wait_port "${EX_PORT[9000]}"
        mkdir "$T/c"
        spawn cl "$PYTHON" "$TOP/tests/peers/clients.py" recv "${EX_PORT[9000]}" 2 "$T/c" --lines 2
        local cl=$SPAWN_PID
        ex_accepted "${EX_PORT[9000]}" 2
        printf 'one\ntwo\n' >>"$EX_DIR/app.log"
        wait_pid "$cl"
        assert_equal "$(cat "$T/c/0.recv")" $'one\ntwo'
        assert_equal "$(cat "$T/c/1.recv")" $'one\ntwo'
    done
}

@test "examples: a chat room (-k --broker)" {
    local id
    ex_find "aecat -l -k --broker --frame line 9000 </dev/null"
    for id in "${EX_IDS[@]}"; do
        ex_free_port 9000
        ex_spawn srv "${EX_TXT[$id]}"
        ex_wait_port "${EX_PORT[9000]}"
        mkdir "$T/c"
        spawn cl "$PYTHON" "$TOP/tests/peers/clients.py" recv "${EX_PORT[9000]}" 3 "$T/c" \
            --send 'hi from %d' --hold "$T/go" --lines 2
        local cl=$SPAWN_PID
        ex_accepted "${EX_PORT[9000]}" 3
        touch "$T/go"
        wait_pid "$cl"
        for i in 0 1 2; do
            assert_equal "$(sort "$T/c/$i.recv" | tr '\n' ' ')" \
                "$(printf 'hi from %d\n' 0 1 2 | grep -v "from $i" | tr '\n' ' ')"
        done
    done
}

@test "examples: a test's server for exactly three clients (-k --max-accepts --tag)" {
    local id
    ex_find "aecat -l -k --max-accepts 3 --frame netstring --records json --tag"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        run "$PYTHON" -c 'import json,sys; print(sorted((o["conn"], o["frame"]) for o in map(json.loads, open(sys.argv[1]))))' \
            "$EX_DIR/frames.jsonl"
        assert_output "[(1, 'hello'), (2, 'hello'), (3, 'hello')]"
    done
}

@test "examples: a mock server in a shell loop (-c)" {
    local id
    ex_find "echo hello | aecat localhost 9000"
    for id in "${EX_IDS[@]}"; do
        ex_served "$id" 'echo: hello (127.0.0.1)'
    done
}

@test "examples: a mock server in a shell loop, netstrings on the wire" {
    local id
    ex_find "echo hello | aecat --frame netstring localhost 9000"
    for id in "${EX_IDS[@]}"; do
        ex_served "$id" 'you said hello'
    done
}

@test "examples: a TLS wrapper under systemd-socket-activate (Accept=yes), --inetd -e" {
    local id
    # systemd-socket-activate runs aecat by its name: this build's
    mkdir -p "$T/bin"
    ln -s "$AECAT" "$T/bin/aecat"
    export PATH=$T/bin:$PATH
    EX_HOSTOPTS[srv.example.org]="--servername localhost"
    ex_find "aecat --inetd --tls --cert srv.pem --key srv.key"
    for id in "${EX_IDS[@]}"; do
        ex_free_port 8443
        ex_lines "$id"
        ex_spawn srv "${EX_LINES[0]//127.0.0.1:8443/127.0.0.1:${EX_PORT[8443]}}"
        ex_wait_port "${EX_PORT[8443]}"
        ex_exec "${EX_LINES[1]}"
        ex_out_is "$id" HELLO
    done
}

# ------------------------------------------------------------------ PROTOCOLS (len: presets)
# One example per preset in man/aecat.1 PROTOCOLS: against the real server
# where Debian's runs privately, else tests/peers/protocol_peer.py, which
# answers in the protocol's framing as the server the example names.

# ex_protocol_peer PROTO PORT: protocol_peer.py PROTO on a free port, as the
# example's PORT.
ex_protocol_peer() {
    spawn "$1" "$PYTHON" "$PEERS/protocol_peer.py" "$1"
    wait_for_line "$T/$1.out" "$SPAWN_PID"
    EX_PORT[$2]=$(head -n1 "$T/$1.out")
}

@test "examples: PROTOCOLS pg-startup>>pg: a StartupMessage answered up to ReadyForQuery, against postgres" {
    local id
    need "${POSTGRES_BIN:-/nonexistent}/postgres"
    start_postgres "$T/pg" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "postgres did not start"
    EX_PORT[5432]=$POSTGRES_PORT
    ex_find "--records hex --until '^Z' db.internal 5432"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        # AuthenticationOk, ParameterStatus..., BackendKeyData, ReadyForQuery last
        [[ $output == 520000000800000000$'\n'* && $output == *$'\n'5a0000000549 ]] ||
            fail "unexpected replies: $output"
        [[ $output == *$'\n'53* && $output == *$'\n'4b0000000c* ]] || fail "no ParameterStatus or BackendKeyData: $output"
    done
}

@test "examples: PROTOCOLS mysql: the server greeting, against mariadb" {
    local id len
    need mariadbd
    start_mariadb "$T/mariadb" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "mariadb did not start"
    EX_PORT[3306]=$MARIADB_PORT
    ex_find "--frame len:mysql --records hex --count 1 db.internal 3306"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        # a 3-byte little-endian payload length, sequence 0, protocol 10, "...-MariaDB"
        [[ $output =~ ^([0-9a-f]{6})000a[0-9a-f]*2d4d617269614442 ]] || fail "not a greeting: $output"
        len=${BASH_REMATCH[1]}
        assert_equal $(( 16#${len:4:2}${len:2:2}${len:0:2} )) $(( ${#output} / 2 - 4 ))
    done
}

@test "examples: PROTOCOLS mqtt: CONNECT and PINGREQ answered by CONNACK and PINGRESP, against mosquitto" {
    local id
    need mosquitto
    start_mosquitto "$T/mqtt" || fail "mosquitto did not start"
    EX_PORT[1883]=$MOSQUITTO_PORT
    ex_find "101100044d5154540402003c00056165636174 c000"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_out_is "$id" $'20020000\nd000'
    done
}

@test "examples: PROTOCOLS dns: a query over TCP answered (transcript), against dnsmasq" {
    local id
    need dnsmasq
    start_dnsmasq "$T/dnsmasq" || fail "dnsmasq did not start"
    EX_PORT[53]=$DNSMASQ_PORT
    ex_find "--frame len:dns --records hex --count 1 localhost 53"
    for id in "${EX_IDS[@]}"; do
        ex_transcript "$id"
    done
}

@test "examples: PROTOCOLS tls: a ClientHello answered by four handshake records, against nginx" {
    local id types=() l
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    EX_PORT[443]=$NGINX_TLS_PORT
    ex_find "--frame len:tls --records hex example.org 443"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        types=()
        while IFS= read -r l; do
            # handshake (16), TLS 1.2, a length that is the rest of the record
            [[ $l == 160303* ]] || fail "not a TLS 1.2 handshake record: $l"
            assert_equal $(( 16#${l:6:4} )) $(( ${#l} / 2 - 5 ))
            types+=("${l:10:2}")
        done <<<"$output"
        assert_equal "${types[*]}" "02 0b 0c 0e"
        assert_equal "${output##*$'\n'}" 16030300040e000000
    done
}

@test "examples: PROTOCOLS h2: a GET over h2c with prior knowledge, against nginx" {
    local id body
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    EX_PORT[80]=$NGINX_H2C_PORT
    body=$(printf '%s\n' "$NGINX_BODY" | od -An -v -tx1 | tr -d ' \n')
    ex_find "--send-frame 'chunk:24>>len:h2'"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        ex_ok "$id"
        # nginx's SETTINGS first (type 4, no flags, stream 0), the ack of
        # ours, the response's HEADERS on stream 1, its DATA ending the stream
        [[ $output =~ ^[0-9a-f]{6}040000000000 ]] || fail "not SETTINGS first: $output"
        [[ $output == *$'\n'000000040100000000$'\n'* ]] || fail "no SETTINGS ack: $output"
        [[ $output == *$'\n'[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]010400000001* ]] ||
            fail "no HEADERS on stream 1: $output"
        assert_equal "${output##*$'\n'}" "$(printf '%06x' $(( ${#body} / 2 )))000100000001$body"
    done
}

@test "examples: PROTOCOLS amqp: the protocol header answered by Connection.Start (RabbitMQ's framing, a Python peer)" {
    local id
    ex_protocol_peer amqp 5672
    ex_find "--send-frame 'chunk:8>>len:amqp'"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        # type 1, channel 0, size 77; class 10 method 10, 0-9, properties,
        # "PLAIN AMQPLAIN", "en_US", frame-end
        ex_out_is "$id" 0100000000004d000a000a0009000000280770726f6475637453000000085261626269744d510776657273696f6e5300000006332e31312e300000000e504c41494e20414d51504c41494e00000005656e5f5553ce
    done
    assert_equal "$(cat "$T/amqp.err")" ""
}

@test "examples: PROTOCOLS mongo: OP_MSG hello answered (mongod's framing, a Python peer)" {
    local id
    ex_protocol_peer mongo 27017
    ex_find "--frame len:mongo --records hex --count 1 localhost 27017"
    for id in "${EX_IDS[@]}"; do
        ex_run "$id"
        # length 78, request id 1, responseTo 1, OP_MSG, flags 0, a kind-0
        # section: {isWritablePrimary: true, maxWireVersion: 17, ok: 1.0}
        ex_out_is "$id" 4e0000000100000001000000dd0700000000000000390000000869735772697461626c655072696d6172790001106d61785769726556657273696f6e0011000000016f6b00000000000000f03f00
    done
    assert_equal "$(cat "$T/mongo.err")" ""
}

# ex_peer_transcripts PROTO: runs the transcripts of EX_IDS; the peer PROTO
# refused nothing.
ex_peer_transcripts() {
    local id
    for id in "${EX_IDS[@]}"; do
        ex_transcript "$id"
    done
    assert_equal "$(cat "$T/$1.err")" ""
}

@test "examples: PROTOCOLS kafka: ApiVersions answered (transcript; a broker's framing, a Python peer)" {
    ex_protocol_peer kafka 9092
    ex_find "--frame len:kafka --records hex --count 1 localhost 9092"
    ex_peer_transcripts kafka
}

@test "examples: PROTOCOLS thrift: a framed binary CALL answered by its REPLY (transcript, a Python peer)" {
    ex_protocol_peer thrift 9090
    ex_find "--frame len:thrift --records hex --count 1 localhost 9090"
    ex_peer_transcripts thrift
}

@test "examples: PROTOCOLS rpc: the portmapper NULL call answered (transcript; rpcbind's record marking, a Python peer)" {
    ex_protocol_peer rpc 111
    ex_find "--frame len:rpc --records hex --count 1 localhost 111"
    ex_peer_transcripts rpc
}

@test "examples: PROTOCOLS modbus: Read Holding Registers answered (transcript, pymodbus' framer and datastore)" {
    /usr/bin/python3 -c 'import pymodbus' 2>/dev/null || skip "python3-pymodbus not installed (make deps)"
    ex_protocol_peer modbus 502
    ex_find "--frame len:modbus --records hex --count 1 localhost 502"
    ex_peer_transcripts modbus
}

@test "examples: one aecat for all clients on systemd's Accept=no socket, --listen-fds -k -e" {
    local id
    mkdir -p "$T/bin"
    ln -s "$AECAT" "$T/bin/aecat"
    export PATH=$T/bin:$PATH
    EX_HOSTOPTS[srv.example.org]="--servername localhost"
    ex_find "aecat --listen-fds -k --tls --cert srv.pem --key srv.key"
    for id in "${EX_IDS[@]}"; do
        ex_free_port 8444
        ex_lines "$id"
        ex_spawn srv "${EX_LINES[0]//127.0.0.1:8444/127.0.0.1:${EX_PORT[8444]}}"
        ex_wait_port "${EX_PORT[8444]}"
        ex_exec "${EX_LINES[1]}"
        ex_out_is "$id" HELLO
        ex_exec "${EX_LINES[1]/hello/again}"
        ex_out_is "$id" AGAIN       # the same aecat serves the next client
    done
}

# ------------------------------------------------------------------ coverage

@test "examples: every example of README.md and man/aecat.1 is run by a test above" {
    local pats=() p i hit missing=()
    mapfile -t pats < <(sed -nE 's/^ *ex_find ([\x27"])(.*)\1$/\2/p' "$BATS_TEST_FILENAME")
    [ ${#pats[@]} -ge 25 ] || fail "only ${#pats[@]} ex_find patterns found"
    for i in "${!EX_TXT[@]}"; do
        hit=0
        for p in "${pats[@]}"; do
            p=${p//\\\$/\$}
            p=${p//\\\"/\"}
            [[ ${EX_TXT[i]} == *"$p"* ]] && { hit=1; break; }
        done
        [ "$hit" = 1 ] || missing+=("${EX_SRC[i]}: ${EX_TXT[i]%%$'\n'*}")
    done
    [ ${#missing[@]} -eq 0 ] || fail "examples no test runs:
$(printf '%s\n' "${missing[@]}")"
}
