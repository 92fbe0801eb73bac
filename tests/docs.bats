#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The documentation as a reader meets it: --help in an 80-column terminal,
# the manual pages clean under mandoc's checker.

load helpers

@test "docs: every line of --help fits 80 columns (79 characters at most)" {
    run --separate-stderr ae --help </dev/null
    assert_status 0
    [ "${#lines[@]}" -ge 50 ] || fail "--help too short: $output"
    local line long=()
    for line in "${lines[@]}"; do
        [ "${#line}" -le 79 ] || long+=("${#line}: $line")
    done
    [ ${#long[@]} -eq 0 ] || fail "lines over 79 characters:
$(printf '%s\n' "${long[@]}")"
    # tabs would make the width depend on the terminal
    [[ $output != *$'\t'* ]] || fail "--help holds a tab"
}

@test "docs: man/aecat.1 and man/libaeh.3 pass mandoc -Tlint without a warning" {
    local page
    for page in "$TOP/man/aecat.1" "$TOP/man/libaeh.3"; do
        run mandoc -Tlint -W warning "$page"
        [ "$status" -eq 0 ] && [ -z "$output" ] || fail "mandoc -Tlint $page (exit $status):
$output"
    done
}
