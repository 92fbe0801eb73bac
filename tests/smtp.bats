#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --frame smtp through real sockets: whole replies from a private exim
# (greeting, the multi-line EHLO reply as one frame, in a dialog whose
# --expect sees the whole reply) and vsftpd (FTP's FEAT with its free-text
# lines); CRLF command lines out; the errors at their byte (not a reply
# line, a code that changes) and a record that holds CR or LF refused.
# The codec: tests/unit/test_frame_smtp.c.

load servers_helpers

teardown() {
    [ -z "${EXIM_PID:-}" ] || stop_exim
    [ -z "${VSFTPD_PID:-}" ] || stop_vsftpd
    stop_all
}

@test "smtp: exim's greeting, the whole EHLO reply as one frame, QUIT's reply" {
    need exim4
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "exim did not start"
    printf 'EHLO client.test\nQUIT\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame smtp --recv-records json 127.0.0.1 "$EXIM_PORT"
    assert_status 0
    mapfile -t got <"$T/out"
    assert_equal "${#got[@]}" 3
    [[ ${got[0]} == '"220 localhost ESMTP Exim '*'\r\n"' ]] || fail "${got[0]}"
    [[ ${got[1]} == '"250-localhost Hello client.test [127.0.0.1]\r\n250-SIZE '*'\r\n250-STARTTLS\r\n'*'250 HELP\r\n"' ]] ||
        fail "${got[1]}"
    assert_equal "${got[2]}" '"221 localhost closing connection\r\n"'
    # by default the replies are written as they came
    ae_files "$T/in" "$T/raw" --frame smtp 127.0.0.1 "$EXIM_PORT"
    assert_status 0
    [[ $(head -n1 "$T/raw") == '220 localhost ESMTP Exim '*$'\r' ]] || fail "$(cat "$T/raw")"
    assert_equal "$(tail -n2 "$T/raw")" $'250 HELP\r\n221 localhost closing connection\r'
}

@test "smtp: in a dialog, --expect matches the whole multi-line reply" {
    need exim4
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "exim did not start"
    # with line framing the first line alone would meet '^250'; here the
    # pattern needs the reply's last line in the same frame
    run --separate-stderr ae --frame smtp --recv-records json --expect '^220 ' --send 'EHLO client.test' \
        --expect '(?s)^250-.*\r\n250 HELP\r\n$' --send QUIT --expect '^221 ' 127.0.0.1 "$EXIM_PORT" </dev/null
    assert_status 0
    assert_equal "${#lines[@]}" 3
    [[ ${lines[1]} == '"250-localhost Hello client.test [127.0.0.1]\r\n250-'*'\r\n250 HELP\r\n"' ]] || fail "${lines[1]}"
    assert_equal "${lines[2]}" '"221 localhost closing connection\r\n"'
    # and the frames the expect saw are what the records show
    run --separate-stderr ae --frame smtp --expect '^220 ' --send 'EHLO x' --expect '^250 ' \
        -w 2 127.0.0.1 "$EXIM_PORT" </dev/null
    assert_status 75
}

@test "smtp: vsftpd's greeting and FEAT, whose feature lines are free text inside the reply" {
    need vsftpd
    start_vsftpd "$T/vsftpd" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "vsftpd did not start"
    printf 'FEAT\nQUIT\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame smtp --recv-records json 127.0.0.1 "$VSFTPD_PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" '"220 aecat test FTP\r\n"
"211-Features:\r\n AUTH TLS\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n PBSZ\r\n PROT\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"
"221 Goodbye.\r\n"'
}

@test "smtp: command lines go out with CRLF (seen by a raw peer); a record with CR is refused" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'EHLO x\nQUIT\n' >"$T/in"
    ae_files "$T/in" /dev/null --frame smtp 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" "$(printf 'EHLO x\r\nQUIT\r\n' | od -An -v -tx1 | tr -d ' \n')"
    start_peer peer --when eof --recv "$T/wire"
    printf '"NOOP\\r"\n' >"$T/in"
    ae_files "$T/in" /dev/null --frame smtp --send-records json 127.0.0.1 "$PORT"
    assert_status 65
    [[ $stderr == *"smtp: a command line cannot hold CR (byte 4)"* ]] || fail "$stderr"
}

@test "smtp: not a reply line, or a code that changes mid-reply: 65 at the byte, after the good replies" {
    start_peer peer --send '220 hi\r\nhello\r\n'
    run --separate-stderr ae --frame smtp 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_output $'220 hi\r'
    assert_one_error "^aecat: recv: malformed data from 127.0.0.1 port $PORT at byte 8: smtp: not a reply line"
    start_peer peer --send '250-a\r\n251 b\r\n'
    run --separate-stderr ae --frame smtp 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error "at byte 7: smtp: reply code changed from 250 to 251 in a multi-line reply$"
}
