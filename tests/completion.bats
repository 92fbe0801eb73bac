#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The manual and the shell completions against the program: every long
# option that `aecat --help` prints is documented in man/aecat.1 and offered
# by the bash, zsh and fish completions; and the completions really complete
# (driven the way each shell drives them).  AECAT=path overrides the binary.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT="$BATS_TEST_DIRNAME/.."
AECAT=${AECAT:-$ROOT/aecat}

# Long options of --help, as printed ("--ready[=FD]" keeps its "[=FD]").
help_long_opts() {
    "$AECAT" --help </dev/null | grep -E '^ +-' |
        grep -oE -- '--[a-z][a-z0-9-]*(\[=[A-Z]+\])?' | sort -u
}

# The names alone ("--ready"), at least 20 of them, so that a broken parse
# cannot make a test that checks each one pass vacuously.
help_long_names() {
    local names
    names=$(help_long_opts | sed 's/\[.*//' | sort -u) || return 1
    [ "$(wc -l <<<"$names")" -ge 20 ] || { echo "too few long options in --help: $names" >&2; return 1; }
    printf '%s\n' "$names"
}

# The TLS options of the contract (issue #4): --help must list each one.
TLS_OPTS=(--tls --tls-auto --ca --cert --key --insecure --servername --alpn --pin
          --tls-priority --verify-client --tls-allow-truncation --tls-strict-close --tls-info)

# Short options of --help ("-l, --listen", "-4, -6", "-q SECS").
help_short_opts() {
    "$AECAT" --help </dev/null | grep -E '^ +-[A-Za-z0-9]' |
        sed -E 's/^ +//; s/ {2,}.*//; s/--[a-z-]+(\[=[A-Z]+\])?//g; s/ [A-Z]{2,}//g' |
        grep -oE -- '-[A-Za-z0-9]' | sort -u
}

# The man page as text: "\-" is "-", font escapes dropped.
man_text() {
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' "$ROOT/man/aecat.1"
}

setup() {
    [ -x "$AECAT" ] || skip "aecat is not built"
    tmp=$BATS_TEST_TMPDIR
}

@test "completion: --help lists the options this test checks" {
    run help_long_opts
    assert_success
    # a broken parse must not pass the tests below vacuously
    [ "${#lines[@]}" -ge 20 ] || fail "only ${#lines[@]} long options parsed from --help: ${lines[*]}"
    assert_line -- '--frame'
    assert_line -- '--ready[=FD]'
    local o
    for o in "${TLS_OPTS[@]}"; do
        assert_line -- "$o"
    done
}

@test "completion: every long option of --help is in man/aecat.1, spelled as in --help" {
    local text missing=() o
    text=$(man_text)
    while read -r o; do
        grep -qF -- "$o" <<<"$text" || { missing+=("$o"); continue; }
        # and as a whole word (--frame must not pass on --frame-foo alone)
        grep -qE -- "(^|[^a-z-])${o%%[[]*}([^a-z0-9-]|\$)" <<<"$text" || missing+=("$o")
    done < <(help_long_opts)
    [ ${#missing[@]} -eq 0 ] || fail "not in man/aecat.1: ${missing[*]}"
}

@test "completion: every short option of --help is in man/aecat.1" {
    local text missing=() o
    text=$(man_text)
    while read -r o; do
        grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|\$)" <<<"$text" || missing+=("$o")
    done < <(help_short_opts)
    [ ${#missing[@]} -eq 0 ] || fail "not in man/aecat.1: ${missing[*]}"
}

@test "completion: every option of --help is in each completion file" {
    local missing=() o name
    while read -r o; do
        name=${o#--}; name=${name%%[[]*}
        grep -qE -- "(^|[^a-z0-9-])--$name([^a-z0-9-]|\$)" "$ROOT/completions/aecat.bash" || missing+=("bash:$o")
        grep -qE -- "(^|[^a-z0-9-])--$name([^a-z0-9-]|\$)" "$ROOT/completions/_aecat" || missing+=("zsh:$o")
        grep -qE -- "(^|[^a-z0-9-])-l $name([^a-z0-9-]|\$)" "$ROOT/completions/aecat.fish" || missing+=("fish:$o")
    done < <(help_long_opts)
    while read -r o; do
        grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|\$)" "$ROOT/completions/aecat.bash" || missing+=("bash:$o")
        grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|\$)" "$ROOT/completions/_aecat" || missing+=("zsh:$o")
        grep -qE -- "-s ${o#-}( |\$)" "$ROOT/completions/aecat.fish" || missing+=("fish:$o")
    done < <(help_short_opts)
    [ ${#missing[@]} -eq 0 ] || fail "missing from completions: ${missing[*]}"
}

# ------------------------------------------------------------------ bash

# Runs _aecat on a command line the way readline would: COMP_WORDS split
# at blanks and at COMP_WORDBREAKS characters such as ':' and '='.
bash_complete() {
    local line=$1
    bash --norc --noprofile -c '
        source /usr/share/bash-completion/bash_completion || exit 2
        source "$1/completions/aecat.bash" || exit 3
        COMP_LINE=$2
        COMP_POINT=${#COMP_LINE}
        COMP_WORDS=()
        w=
        for ((i = 0; i < ${#COMP_LINE}; i++)); do
            c=${COMP_LINE:i:1}
            if [[ $c == " " ]]; then
                [[ -n $w ]] && COMP_WORDS+=("$w"); w=
            elif [[ $COMP_WORDBREAKS == *"$c"* ]]; then
                [[ -n $w ]] && COMP_WORDS+=("$w"); COMP_WORDS+=("$c"); w=
            else
                w+=$c
            fi
        done
        COMP_WORDS+=("$w")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _aecat aecat "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"
    ' bash "$ROOT" "$line"
}

@test "completion: bash: aecat --fr -> --frame" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat --fr'
    assert_success
    assert_output -- '--frame'
}

@test "completion: bash: aecat --frame net -> netstring" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat --frame net'
    assert_success
    assert_output 'netstring'
}

@test "completion: bash: aecat --records h -> hex" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat --records h'
    assert_success
    assert_output 'hex'
}

@test "completion: bash: --send-records and --recv-records take the records formats; --strict-lines is offered" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    local o
    for o in --send-records --recv-records; do
        run bash_complete "aecat $o h"
        assert_success
        assert_output 'hex'
    done
    run bash_complete 'aecat --stri'
    assert_success
    assert_output '--strict-lines'
    # a records option's value is not an operand: HOST is still completed next
    run bash_complete 'aecat --recv-records hex --strict-lines --send-records lines lo'
    assert_success
    assert_line 'localhost'
}

@test "completion: bash: json as a framing and as a records format" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    local o
    for o in --frame --recv-frame --send-frame; do
        run bash_complete "aecat $o js"
        assert_success
        assert_line 'json'
        assert_line 'json:'             # json:DEPTH
        [ "${#lines[@]}" -eq 2 ] || fail "$o js: expected json and json:, got: ${lines[*]}"
    done
    run bash_complete 'aecat --records j'
    assert_success
    assert_output 'json'
}

@test "completion: bash: cbor and cbor: as a framing" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    local o
    for o in --frame --recv-frame --send-frame; do
        run bash_complete "aecat $o cb"
        assert_success
        assert_line 'cbor'
        assert_line 'cbor:'             # cbor:DEPTH
        [ "${#lines[@]}" -eq 2 ] || fail "$o cb: expected cbor and cbor:, got: ${lines[*]}"
    done
}

@test "completion: bash: packstring formats after packstring:" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat --send-frame packstring:gr'
    assert_success
    assert_output 'grpc'            # the part after the last ':' (COMP_WORDBREAKS)
    run bash_complete 'aecat --recv-frame packstring:'
    assert_success
    assert_line 'N'
    assert_line 'w'
    assert_line 'varint'
}

@test "completion: bash: every long option of --help is completed after --" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    local names missing=() o
    names=$(help_long_names) || fail "cannot list the options of --help"
    run bash_complete 'aecat --'
    assert_success
    for o in $names; do
        grep -qxF -- "$o" <<<"$output" || grep -qxF -- "$o=" <<<"$output" || missing+=("$o")
    done
    [ ${#missing[@]} -eq 0 ] || fail "bash does not complete: ${missing[*]}"
}

@test "completion: bash: TLS option values" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat --tls-i'
    assert_success
    assert_output -- '--tls-info'
    run bash_complete 'aecat --tls-priority SEC'
    assert_success
    assert_line 'SECURE128'
    assert_line 'SECURE256'
    refute_line 'NORMAL'
    run bash_complete 'aecat --alpn '
    assert_success
    assert_line 'h2'
    assert_line 'http/1.1'
    run bash_complete 'aecat --alpn h2,http'
    assert_success
    assert_output 'h2,http/1.1'
    touch "$tmp/srv-cert.pem" "$tmp/srv-key.pem"
    local o
    for o in --ca --cert --key; do
        run bash_complete "aecat --tls $o $tmp/srv-c"
        assert_success
        assert_output "$tmp/srv-cert.pem"
    done
    # a valued TLS option's value is not taken for the HOST operand
    run bash_complete "aecat --tls --pin pin-sha256:x --servername h 127.0.0.1 8443 --ca $tmp/srv-k"
    assert_success
    assert_output "$tmp/srv-key.pem"
}

@test "completion: bash: -U completes file names" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    touch "$tmp/sock-one"
    run bash_complete "aecat -U $tmp/sock-o"
    assert_success
    assert_output "$tmp/sock-one"
}

# ------------------------------------------------------------------ zsh

@test "completion: zsh: _aecat parses and loads with compinit" {
    command -v zsh >/dev/null || skip "zsh not installed"
    run zsh -n "$ROOT/completions/_aecat"
    assert_success
    mkdir -p "$tmp/zdot"
    run env ZDOTDIR="$tmp/zdot" zsh -f -c '
        fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D
        print -r -- "${_comps[aecat]}"' zsh "$ROOT/completions"
    assert_success
    assert_output '_aecat'
}

# Types TEXT, TAB, RETURN into an interactive zsh (zpty) where a function
# named aecat prints its arguments as ARGS<...>; prints that line, or with
# "all" everything the terminal showed, such as the listing of an ambiguous
# TEXT (one name per word: verbose off, no descriptions); with "described",
# that listing with its descriptions.
zsh_drive() {
    mkdir -p "$tmp/zdot"
    cat >"$tmp/drive.zsh" <<'ZSH'
compdir=$1 typed=$2 what=$3 verbose=no
[[ $what == described ]] && verbose=yes what=all
zmodload zsh/zpty || exit 2
zpty z env TERM=dumb COLUMNS=100 LINES=1000 zsh -f -i
zpty -w z "PS1='%% '; unsetopt beep; LISTMAX=100000; fpath=($compdir \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' verbose $verbose"
zpty -w z 'aecat() { print -r -- "AR""GS<$*>" }'
zpty -w -n z "$typed"$'\t'
sleep 0.3
zpty -w -n z $'\n'
local out line
integer i
for (( i = 0; i < 100; i++ )); do
  while zpty -rt z line 2>/dev/null; do out+=$line; done
  [[ $out == *'ARGS<'* ]] && break
  sleep 0.1
done
zpty -d z
if [[ $what == all ]]; then
  print -r -- ${out//$'\r'/}
else
  print -r -- ${${(M)${(f)out}:#*ARGS<*}//$'\r'/}
fi
ZSH
    env ZDOTDIR="$tmp/zdot" zsh -f "$tmp/drive.zsh" "$ROOT/completions" "$1" "${2-}"
}

zsh_complete() { zsh_drive "$1"; }
zsh_list() { zsh_drive "$1" all; }

@test "completion: zsh: every long option of --help is completed after -- (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    local names missing=() o
    names=$(help_long_names) || fail "cannot list the options of --help"
    run zsh_list 'aecat --'
    assert_success
    assert_output --partial 'ARGS<'
    for o in $names; do
        grep -qE -- "(^|[[:space:]])$o(=|[[:space:]]|\$)" <<<"$output" || missing+=("$o")
    done
    [ ${#missing[@]} -eq 0 ] || fail "zsh does not complete: ${missing[*]}"
}

@test "completion: zsh: TLS option values (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    run zsh_complete 'aecat --tls-inf'
    assert_success
    assert_output --partial 'ARGS<--tls-info>'
    run zsh_complete 'aecat --tls-priority SECURE2'
    assert_success
    assert_output --partial 'ARGS<--tls-priority SECURE256>'
    run zsh_complete 'aecat --alpn h2,htt'
    assert_success
    assert_output --partial 'ARGS<--alpn h2,http/1.1>'
    touch "$tmp/srv-cert.pem"
    run zsh_complete "aecat --tls --cert $tmp/srv-c"
    assert_success
    assert_output --partial "ARGS<--tls --cert $tmp/srv-cert.pem>"
}

@test "completion: zsh: descriptions keep their backslashes (\\r, \\n) (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    run zsh_drive 'aecat --frame ' described
    assert_success
    assert_output --partial 'lines ending in \r?\n (written with \n)'
    run zsh_drive 'aecat --c' described
    assert_success
    assert_output --partial 'send "\n" as "\r\n"'
}

@test "completion: zsh: aecat --fr -> --frame (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    run zsh_complete 'aecat --fr'
    assert_success
    assert_output --partial 'ARGS<--frame>'
}

@test "completion: zsh: aecat --records h -> hex (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    run zsh_complete 'aecat --records h'
    assert_success
    assert_output --partial 'ARGS<--records hex>'
}

@test "completion: zsh: --send-records and --recv-records take the records formats (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    local o
    for o in --send-records --recv-records; do
        run zsh_complete "aecat $o h"
        assert_success
        assert_output --partial "ARGS<$o hex>"
    done
}

@test "completion: zsh: json as a framing and as a records format (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    run zsh_complete 'aecat --records j'
    assert_success
    assert_output --partial 'ARGS<--records json>'
    local o
    for o in --frame --recv-frame --send-frame; do
        run zsh_complete "aecat $o jso"
        assert_success
        assert_output --partial "ARGS<$o json>"
        # "json" is ambiguous: the listing offers json and json: (json:DEPTH)
        run zsh_list "aecat $o json"
        assert_success
        assert_output --partial "ARGS<$o json>"
        grep -qE '(^|[[:space:]])json([[:space:]]|$)' <<<"$output" || fail "$o: json not listed: $output"
        grep -qE '(^|[[:space:]])json:([[:space:]]|$)' <<<"$output" || fail "$o: json: not listed: $output"
    done
}

@test "completion: zsh: cbor and cbor: as a framing (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    local o
    for o in --frame --recv-frame --send-frame; do
        run zsh_complete "aecat $o cbo"
        assert_success
        assert_output --partial "ARGS<$o cbor>"
        # "cbor" is ambiguous: the listing offers cbor and cbor: (cbor:DEPTH)
        run zsh_list "aecat $o cbor"
        assert_success
        assert_output --partial "ARGS<$o cbor>"
        grep -qE '(^|[[:space:]])cbor([[:space:]]|$)' <<<"$output" || fail "$o: cbor not listed: $output"
        grep -qE '(^|[[:space:]])cbor:([[:space:]]|$)' <<<"$output" || fail "$o: cbor: not listed: $output"
    done
}

# ------------------------------------------------------------------ fish

fish_complete() {
    mkdir -p "$tmp/fishcfg" "$tmp/fishdata"
    XDG_CONFIG_HOME="$tmp/fishcfg" XDG_DATA_HOME="$tmp/fishdata" \
        fish --no-config -c "source '$ROOT/completions/aecat.fish'; complete -C '$1'"
}

@test "completion: fish: aecat --fr lists --frame" {
    command -v fish >/dev/null || skip "fish not installed"
    run fish_complete 'aecat --fr'
    assert_success
    assert_line --regexp $'^--frame(\t.*)?$'
}

@test "completion: fish: every long option of --help is completed after --" {
    command -v fish >/dev/null || skip "fish not installed"
    local names missing=() o
    names=$(help_long_names) || fail "cannot list the options of --help"
    run fish_complete 'aecat --'
    assert_success
    for o in $names; do
        grep -qE -- "^$o(\$|"$'\t'")" <<<"$output" || missing+=("$o")
    done
    [ ${#missing[@]} -eq 0 ] || fail "fish does not complete: ${missing[*]}"
}

@test "completion: fish: the header lists the long options the file completes" {
    local f=$ROOT/completions/aecat.fish header completed
    header=$(sed -n '1,/^$/p' "$f" | grep '^#' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
    completed=$(grep -E '^complete ' "$f" | grep -oE -- ' -l [a-z][a-z0-9-]*' | sed 's/ -l /--/' | sort -u)
    [ "$(wc -l <<<"$completed")" -ge 20 ] || fail "too few -l options found: $completed"
    [ "$header" = "$completed" ] || fail "header and completions differ: $(diff <(echo "$header") <(echo "$completed") | grep '^[<>]' | tr '\n' ' ')"
}

@test "completion: fish: TLS option values" {
    command -v fish >/dev/null || skip "fish not installed"
    run fish_complete 'aecat --tls-priority '
    assert_success
    assert_line --regexp $'^SECURE256(\t.*)?$'
    assert_line --regexp $'^NORMAL(\t.*)?$'
    run fish_complete 'aecat --alpn h2,'
    assert_success
    assert_line --regexp $'^h2,http/1.1(\t.*)?$'
    touch "$tmp/srv-cert.pem"
    run fish_complete "aecat --tls --ca $tmp/srv-c"
    assert_success
    assert_line --regexp "^$tmp/srv-cert.pem(\$|"$'\t'")"
}

@test "completion: fish: aecat --records lists hex" {
    command -v fish >/dev/null || skip "fish not installed"
    run fish_complete 'aecat --records '
    assert_success
    assert_line --regexp $'^hex(\t.*)?$'
    assert_line --regexp $'^base64(\t.*)?$'
    assert_line --regexp $'^json(\t.*)?$'
}

@test "completion: fish: --send-records and --recv-records list the records formats" {
    command -v fish >/dev/null || skip "fish not installed"
    local o
    for o in --send-records --recv-records; do
        run fish_complete "aecat $o "
        assert_success
        assert_line --regexp $'^hex\ta line of hex per frame$'
        assert_line --regexp $'^json\tJSON Lines$'
    done
}

@test "completion: fish: json and json: after each framing option" {
    command -v fish >/dev/null || skip "fish not installed"
    local o
    for o in --frame --recv-frame --send-frame; do
        run fish_complete "aecat $o js"
        assert_success
        assert_line --regexp $'^json(\t.*)?$'
        assert_line --regexp $'^json:(\t.*)?$'
    done
}

@test "completion: fish: cbor and cbor: after each framing option" {
    command -v fish >/dev/null || skip "fish not installed"
    local o
    for o in --frame --recv-frame --send-frame; do
        run fish_complete "aecat $o cb"
        assert_success
        assert_line --regexp $'^cbor(\t.*)?$'
        assert_line --regexp $'^cbor:(\t.*)?$'
    done
}

@test "completion: bash: len formats and presets after len:" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat --frame len:pg'
    assert_success
    assert_line 'pg'
    assert_line 'pg-startup'
    [ "${#lines[@]}" -eq 2 ] || fail "expected pg and pg-startup, got: ${lines[*]}"
    run bash_complete 'aecat --recv-frame len:u3'
    assert_success
    assert_line 'u32be'
    assert_line 'u32le'
    run bash_complete 'aecat --frame len:v'
    assert_success
    assert_line 'varint'
    assert_line 'varint4'
    run bash_complete 'aecat --frame len:m'
    assert_success
    assert_line 'mysql'
    assert_line 'mqtt'
    assert_line 'mongo'
    assert_line 'modbus'
}

@test "completion: fish: len formats and presets after --frame len:" {
    command -v fish >/dev/null || skip "fish not installed"
    run fish_complete 'aecat --frame le'
    assert_success
    assert_line --regexp $'^len:(\t.*)?$'
    run fish_complete 'aecat --frame len:'
    assert_success
    assert_line --regexp $'^len:u16be(\t.*)?$'
    assert_line --regexp $'^len:modbus(\t.*)?$'
    assert_line --regexp $'^len:mqtt(\t.*)?$'
    assert_line --regexp $'^len:rpc(\t.*)?$'
    assert_line --regexp $'^len:ber(\t.*)?$'
}

@test "completion: fish: packstring formats after --frame packstring:" {
    command -v fish >/dev/null || skip "fish not installed"
    run fish_complete 'aecat --frame packstring:'
    assert_success
    assert_line --regexp $'^packstring:N(\t.*)?$'
    assert_line --regexp $'^packstring:varint(\t.*)?$'
}

@test "completion: bash: dialog options and their values" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat --then-r'
    assert_success
    assert_output -- '--then-relay'
    run bash_complete 'aecat --starttls n'
    assert_success
    assert_line 'now'
    assert_line 'nntp'
    run bash_complete 'aecat --starttls postg'
    assert_success
    assert_line 'postgres'
    assert_line 'postgresql'
    touch "$tmp/request.bin"
    run bash_complete "aecat --send-file $tmp/req"
    assert_success
    assert_output "$tmp/request.bin"
    # a pattern is the user's own: no host names offered after --expect
    run bash_complete 'aecat --expect '
    assert_success
    assert_output ''
}

@test "completion: zsh: dialog options and their values (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    run zsh_complete 'aecat --then-re'
    assert_success
    assert_output --partial 'ARGS<--then-relay>'
    run zsh_complete 'aecat --starttls no'
    assert_success
    assert_output --partial 'ARGS<--starttls now>'
    run zsh_complete 'aecat --starttls sie'
    assert_success
    assert_output --partial 'ARGS<--starttls sieve>'
    touch "$tmp/request.bin"
    run zsh_complete "aecat --send-file $tmp/req"
    assert_success
    assert_output --partial "ARGS<--send-file $tmp/request.bin>"
}

@test "completion: fish: dialog options and their values" {
    command -v fish >/dev/null || skip "fish not installed"
    run fish_complete 'aecat --starttls '
    assert_success
    assert_line --regexp $'^now(\t.*)?$'
    assert_line --regexp $'^xmpp-server(\t.*)?$'
    assert_line --regexp $'^telnet(\t.*)?$'
    touch "$tmp/request.bin"
    run fish_complete "aecat --send-file $tmp/req"
    assert_success
    assert_line --regexp "^$tmp/request.bin(\$|"$'\t'")"
    run fish_complete 'aecat --then-'
    assert_success
    assert_line --regexp $'^--then-relay(\t.*)?$'
}

# --peer-eof-grace SECS: offered, and its value is the user's own (counted
# as the option's, not as the HOST operand).
@test "completion: bash: --peer-eof-grace and its value" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat --peer-e'
    assert_success
    assert_output -- '--peer-eof-grace'
    run bash_complete 'aecat --peer-eof-grace '
    assert_success
    assert_output ''
}

@test "completion: zsh: --peer-eof-grace (zpty)" {
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    run zsh_complete 'aecat --peer-e'
    assert_success
    assert_output --partial 'ARGS<--peer-eof-grace'
}

@test "completion: fish: --peer-eof-grace and its value" {
    command -v fish >/dev/null || skip "fish not installed"
    run fish_complete 'aecat --peer-'
    assert_success
    assert_line --regexp $'^--peer-eof-grace(\t.*)?$'
    run fish_complete 'aecat --peer-eof-grace '
    assert_success
    assert_output ''
}

@test "completion: -k's --slow takes block, drop and close in bash, zsh and fish; its number options take no operand's place" {
    [ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
    run bash_complete 'aecat -l -k --slow d'
    assert_success
    assert_output 'drop'
    run bash_complete 'aecat -l -k --max-conns 5 --max-accepts 3 --slow close lo'
    assert_success
    assert_line 'localhost'
    run bash_complete 'aecat --keep'
    assert_output '--keep-open'
    command -v zsh >/dev/null || skip "zsh not installed"
    zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "no zsh/zpty module"
    run zsh_complete 'aecat -l -k --slow=b'
    assert_success
    assert_output --partial 'ARGS<-l -k --slow=block>'
    command -v fish >/dev/null || skip "fish not installed"
    run fish_complete 'aecat -l -k --slow '
    assert_success
    assert_line --regexp $'^block(\t.*)?$'
    assert_line --regexp $'^drop(\t.*)?$'
    assert_line --regexp $'^close(\t.*)?$'
}
