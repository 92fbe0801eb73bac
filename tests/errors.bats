#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Bad input, one case at a time.  Each case asserts: the exit code (64 usage,
# 65 malformed data or a frame over the limit), exactly one line on stderr
# naming the problem (and, for data, the byte offset), and that every good
# frame before the bad one came out (on stdout, or at the peer for stdin).

load helpers

# recv_case DATA ARGS...: a peer sends DATA (Python escapes) and closes;
# aecat ARGS 127.0.0.1 PORT </dev/null reads it.  Sets status/output/stderr.
recv_case() {
    local data=$1; shift
    start_peer peer --send "$data"
    run --separate-stderr ae "$@" 127.0.0.1 "$PORT" </dev/null
}

# recv_error BYTE-RE MSG-RE: the one stderr line of a malformed received frame.
recv_error() {
    assert_status 65
    assert_one_error "^aecat: recv: malformed data from 127\.0\.0\.1 port $PORT at byte ($1): .*$2"
}

# send_case STDIN-DATA ARGS...: aecat ARGS reads STDIN-DATA (printf %b) and
# sends to a peer that records what arrives in $T/wire.
send_case() {
    local data=$1; shift
    printf '%b' "$data" >"$T/in"
    start_peer peer --when eof --recv "$T/wire" --events "$T/ev"
    run --separate-stderr ae "$@" 127.0.0.1 "$PORT" <"$T/in"
    wait_for_match "$T/ev" '^eof' 5
}

# stdin_error BYTE-RE MSG-RE
stdin_error() {
    assert_status 65
    assert_one_error "^aecat: stdin: malformed data at byte ($1): .*$2"
}

# usage_case MSG-RE ARGS...: a usage error, found before any connection.
usage_case() {
    local re=$1; shift
    run --separate-stderr ae "$@" </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: .*$re"
    assert_output ""
}

# ------------------------------------------------------------ received data

@test "bad input: netstring with a bad digit in its length" {
    recv_case '3:abc,1x:ab,' --recv-frame netstring
    recv_error 7 'netstring: .*(digit|length)'
    assert_output abc
}

@test "bad input: netstring length with a leading zero" {
    recv_case '3:abc,03:bad,' --recv-frame netstring
    recv_error '6|7' 'netstring: .*leading zero'
    assert_output abc
}

@test "bad input: netstring with no length at all" {
    recv_case '3:abc,:x,' --recv-frame netstring
    recv_error 6 'netstring: '
    assert_output abc
}

@test "bad input: netstring without its comma" {
    recv_case '3:abc,3:defX' --recv-frame netstring
    recv_error 11 'netstring: .*(comma|,)'
    assert_output abc
}

@test "bad input: netstring length over --max-frame" {
    recv_case '3:abc,11:hello world,' --recv-frame netstring --max-frame 10
    recv_error '6|7' 'netstring: .*(10|limit|max)'
    assert_output abc
}

@test "bad input: netstring truncated by the end of the stream" {
    recv_case '3:abc,5:ab' --recv-frame netstring
    recv_error '6|10' 'netstring: .*(truncat|end|EOF)'
    assert_output abc
}

@test "bad input: netstring of 20 length digits (no overflow, refused at the limit)" {
    recv_case '3:abc,99999999999999999999:x,' --recv-frame netstring
    recv_error '6|7|8|9|1[0-9]|2[0-5]' 'netstring: '
    assert_output abc
}

@test "bad input: packstring w with an overlong BER length (leading zero group)" {
    recv_case '\x03abc\x80\x03abc' --recv-frame packstring:w
    recv_error '4|5' 'packstring: .*(BER|canonical|overlong)'
    assert_output abc
}

@test "bad input: packstring varint, non-canonical (trailing zero group)" {
    recv_case '\x03abc\x83\x00abc' --recv-frame packstring:varint
    recv_error '4|5' 'packstring: .*(varint|canonical|overlong)'
    assert_output abc
}

@test "bad input: packstring varint longer than 10 bytes" {
    recv_case '\x03abc\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01' --recv-frame packstring:varint
    recv_error '4|5|6|7|8|9|1[0-5]' 'packstring: '
    assert_output abc
}

@test "bad input: packstring s> with a negative length" {
    recv_case '\x00\x03abc\xff\xfeab' --recv-frame 'packstring:s>'
    recv_error '5|6' 'packstring: .*negative'
    assert_output abc
}

@test "bad input: packstring N length over --max-frame" {
    recv_case '\x00\x00\x00\x03abc\x00\x10\x00\x00abc' --recv-frame packstring:N --max-frame 100
    recv_error '7|11' 'packstring: .*(100|limit|max)'
    assert_output abc
}

@test "bad input: packstring N truncated by the end of the stream" {
    recv_case '\x00\x00\x00\x03abc\x00\x00\x00\x0aab' --recv-frame packstring:N
    recv_error '7|11|13' 'packstring: .*(truncat|end|EOF)'
    assert_output abc
}

@test "bad input: a line longer than --max-frame" {
    recv_case 'abc\n0123456789abcdef\n' --frame line --max-frame 8
    recv_error '4|12|13' 'line: .*(8|limit|max)'
    assert_output abc
}

@test "bad input: chunk:2 with a partial chunk at the end of the stream" {
    recv_case 'abcde' --recv-frame chunk:2 --records hex
    recv_error '4|5' 'chunk: '
    assert_output $'6162\n6364'
}

@test "bad input: a received frame containing \\n cannot be a --records lines record" {
    recv_case '3:abc,3:a\nb,' --recv-frame netstring
    assert_status 65
    assert_one_error "frame 2.*byte [0-9]+.*--records (netstring|hex|base64)|byte [0-9]+.*frame 2.*--records (netstring|hex|base64)"
    assert_output abc
}

@test "bad input: a received frame containing NUL cannot be a --records nul record" {
    start_peer peer --send '3:abc,3:a\x00b,'
    # stdout to a file: bash variables cannot hold the NUL being checked
    run --separate-stderr bash -c 'timeout -k 2 "$1" "$2" "${@:4}" >"$3"' _ "$AE_LIMIT" "$AECAT" "$T/out" --recv-frame netstring --records nul 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error "frame 2"
    assert_equal "$(od -An -c "$T/out" | tr -s ' ')" "$(printf 'abc\0' | od -An -c | tr -s ' ')"
}

# ------------------------------------------------------------ stdin

@test "bad input: stdin hex record with an odd number of digits" {
    send_case '6162\n616\n6364\n' --records hex
    stdin_error '5|8' 'hex(lines)?: .*odd'
    assert_equal "$(cat "$T/wire")" ab
}

@test "bad input: stdin hex record with a non-hex digit" {
    send_case '6162\n6g\n' --records hex
    stdin_error '6' 'hex(lines)?: '
    assert_equal "$(cat "$T/wire")" ab
}

@test "bad input: stdin base64 record with a bad character" {
    send_case 'aGk=\nab!d\n' --records base64
    stdin_error '5|7' 'base64(lines)?: '
    assert_equal "$(cat "$T/wire")" hi
}

@test "bad input: stdin netstring record with a bad terminator" {
    send_case '2:hi,2:hi;' --records netstring --send-frame netstring
    stdin_error 9 'netstring: '
    assert_equal "$(cat "$T/wire")" "2:hi,"
}

@test "bad input: stdin netstring record truncated by the end of stdin" {
    send_case '2:hi,5:ab' --records netstring
    stdin_error '5|9' 'netstring: '
    assert_equal "$(cat "$T/wire")" hi
}

@test "bad input: a frame containing the line EOL cannot be sent as a line" {
    send_case '2:ok,3:a\nb,' --records netstring --send-frame line
    assert_status 65
    assert_one_error "^aecat: send: .*frame 2.*(byte [0-9]+)|^aecat: send: .*byte [0-9]+.*frame 2"
    assert_equal "$(cat "$T/wire")" ok
}

@test "bad input: a 256-byte frame cannot be sent with packstring C" {
    { echo 6869; head -c 256 /dev/zero | od -An -v -tx1 | tr -d ' \n'; echo; } >"$T/hex"
    send_case "$(cat "$T/hex")\n" --records hex --send-frame packstring:C
    assert_status 65
    assert_one_error "^aecat: send: .*frame 2.*(255|256|long|prefix)"
    assert_equal "$(hex "$T/wire")" 026869
}

# ------------------------------------------------------------ usage

@test "usage: --timeout abc" { usage_case "--timeout|-w.*abc" --timeout abc 127.0.0.1 9; }
@test "usage: --max-frame 5Q" { usage_case "--max-frame.*5Q" --max-frame 5Q 127.0.0.1 9; }
@test "usage: --count -1" { usage_case "--count.*-1" --count -1 127.0.0.1 9; }
@test "usage: --count 0" { usage_case "--count.*0" --count 0 127.0.0.1 9; }
@test "usage: -w -1 (negative seconds)" { usage_case "-w.*-1" -w -1 127.0.0.1 9; }
@test "usage: --deadline with no value" { usage_case "deadline" 127.0.0.1 9 --deadline; }
@test "usage: missing operand" { usage_case "missing" ; }
@test "usage: missing PORT for -l" { usage_case "missing.*PORT" -l; }
@test "usage: too many operands" { usage_case "too many" 127.0.0.1 9 10; }
@test "usage: unknown option" { usage_case "unknown option.*--bogus" --bogus 127.0.0.1 9; }
@test "usage: bad framing spec" { usage_case "--frame.*foo" --frame foo 127.0.0.1 9; }
@test "usage: unknown packstring format" { usage_case "packstring.*Z" --frame packstring:Z 127.0.0.1 9; }
@test "usage: packstring with a bad modifier" { usage_case "packstring" --frame 'packstring:C<' 127.0.0.1 9; }
@test "usage: chunk:0" { usage_case "chunk" --frame chunk:0 127.0.0.1 9; }
@test "usage: a line end-marker regex that can match empty" { usage_case "empty" --frame 'line:/x*/' 127.0.0.1 9; }
@test "usage: a regex: framing that can match empty" { usage_case "empty" --recv-frame 'regex:a?' 127.0.0.1 9; }
@test "usage: a line end-marker regex that does not compile, with its offset" { usage_case "offset [0-9]+" --frame 'line:/(ab/' 127.0.0.1 9; }
@test "usage: a bad escape in line:EOL" { usage_case "--frame.*(escape|\\\\q)" --frame 'line:\q' 127.0.0.1 9; }
@test "usage: --records foo" { usage_case "--records.*foo" --records foo 127.0.0.1 9; }
@test "usage: --until with a bad regex" { usage_case "--until.*offset [0-9]+" --frame line --until '(' 127.0.0.1 9; }
@test "usage: --ready without -l" { usage_case "--ready" --ready 127.0.0.1 9; }
@test "usage: -C with a netstring send framing" { usage_case "-C" -C --frame netstring 127.0.0.1 9; }
@test "usage: -l -p PORT with a PORT operand too" { usage_case "with -l, -p gives the port to listen on" -l -p 9 10; }
@test "usage: -l -s ADDR with operands" { usage_case "with -l, -s gives the address to listen on" -l -s 127.0.0.1 9; }
@test "usage: -l -s ADDR without -p or PORT" { usage_case "missing PORT operand for -l" -l -s 127.0.0.1; }
@test "usage: -s with -U" { usage_case "-s" -s 127.0.0.1 -U /tmp/x; }

# An option value with a newline or an ESC is echoed escaped: still one line.
@test "usage: a value holding a newline and an ESC stays on one line (--sleep)" {
    usage_case "--sleep: '1\\\\n\\\\x1b\[31m2'" --sleep $'1\n\e[31m2' 127.0.0.1 9
}
@test "usage: a value holding a newline stays on one line (--records)" {
    usage_case "--records.*'a\\\\nb'" --records $'a\nb' 127.0.0.1 9
}
@test "usage: a value holding a newline stays on one line (PORT operand)" {
    usage_case "PORT '9\\\\naecat: forged'" 127.0.0.1 $'9\naecat: forged'
}
@test "usage: a value holding a newline stays on one line (--expect pattern)" {
    usage_case "--expect '\(\\\\n'" --expect $'(\n' 127.0.0.1 9
}
@test "config: a --send-file name holding a newline stays on one line (78)" {
    run --separate-stderr ae --send-file "$T/no"$'\n'"such" 127.0.0.1 9 </dev/null
    assert_status 78
    assert_one_error "^aecat: --send-file: cannot read .*/no\\\\nsuch: "
}

# ------------------------------------------------------------ out of descriptors

# nofile_case WANT-RE ARGS...: aecat ARGS under prlimit --nofile=N, N from 4
# (fewer and the dynamic loader itself fails) up: never libev's abort (134)
# nor a name (68) or configuration (78) error; running out of descriptors
# is 74 with one line; some N must fail at the place WANT-RE names.
nofile_case() {
    local want=$1 n hit=""; shift
    for n in 4 5 6 7 8 9 10; do
        # (a sanitizer build's leak check needs descriptors of its own at exit)
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
            run --separate-stderr prlimit --nofile="$n" "$AECAT" -w 5 "$@" </dev/null 3>&-
        case $status in
        74) assert_one_error "Too many open files"
            [[ $stderr =~ $want ]] && hit=$n ;;
        0|76) ;;                  # enough descriptors: the run went through
        *) fail "nofile=$n: exit $status: $stderr" ;;
        esac
    done
    [ -n "$hit" ] || fail "no nofile value failed at /$want/"
}

@test "out of descriptors: creating the event loop is 74, not libev's abort (134)" {
    start_peer peer --accept 10 --send 'hi\n'
    nofile_case "^aecat: event loop: " 127.0.0.1 "$PORT"
}

@test "out of descriptors: resolving a name is 74, not 'not resolved' (68)" {
    start_peer peer --accept 10 --send 'hi\n'
    nofile_case "^aecat: [a-z]+: resolve localhost: " localhost "$PORT"
}

@test "out of descriptors: loading GnuTLS is 74, not a configuration error (78)" {
    start_peer peer --accept 10 --send 'hi\n'
    nofile_case "^aecat: tls: cannot load GnuTLS" --tls --insecure 127.0.0.1 "$PORT"
}

@test "out of descriptors: opening the --send-file is 74, not a configuration error (78)" {
    # a reader per connection, whatever order the client closes in
    start_socat_listener sink -u TCP4-LISTEN:0,bind=127.0.0.1,fork,reuseaddr OPEN:/dev/null
    echo data >"$T/f"
    nofile_case "^aecat: --send-file: cannot read .*/f: " --send-file "$T/f" 127.0.0.1 "$PORT"
}
