#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Differential test of the JSON scanner (lib/frame_json.c, --frame json)
# against a strict reference parser (tests/fuzz/json_oracle.py: Python's
# json with its leniencies closed): tests/fuzz/json_diff.py generates inputs
# from a seed, runs the C driver tests/fuzz/bin/json_diff (built by `make
# unit`) over them and compares verdicts; the driver also checks that
# split reads give the same frames as the whole input.  Two fixed seeds
# here (each run must agree on every input), then the test switches that
# prove a broken comparison would be noticed.  `make fuzz-diff` is the long
# run (JSON_DIFF_N=1000000, a new seed each time).

load helpers

DIFF=$TOP/tests/fuzz/json_diff.py
DRIVER=$TOP/tests/fuzz/bin/json_diff

setup() {
    [ -x "$DRIVER" ] || fail "no $DRIVER: run make unit (or make check) first"
}

# diff_run ARGS...: json_diff.py, bounded like aecat runs.
diff_run() { run timeout -k 2 120 "$PYTHON" "$DIFF" "$@"; }

# assert_agree SEED N: no disagreement, and the summary shows a real mix:
# a generator that made only garbage (or only valid texts) would agree
# with any scanner, so each verdict must be at least a quarter of them.
assert_agree() {
    local seed=$1 n=$2 acc rej
    diff_run "$seed" "$n"
    assert_success
    assert_line --regexp "^json_diff: seed $seed: $n inputs, [0-9]+ accepted, [0-9]+ rejected, 0 disagreements, "
    acc=$(sed -n 's/.* inputs, \([0-9]*\) accepted.*/\1/p' <<<"$output")
    rej=$(sed -n 's/.* accepted, \([0-9]*\) rejected.*/\1/p' <<<"$output")
    [ "$acc" -ge $((n / 4)) ] && [ "$rej" -ge $((n / 4)) ] ||
        fail "unbalanced inputs: $acc accepted, $rej rejected of $n"
}

@test "json_diff: seed 1, 20000 inputs: the scanner agrees with the strict parser, split reads with whole" {
    assert_agree 1 20000
}

@test "json_diff: seed 20240229, 20000 inputs: the scanner agrees with the strict parser" {
    assert_agree 20240229 20000
}

@test "json_diff: the same seed gives the same inputs" {
    "$PYTHON" "$DIFF" --dump "$T/a" 5 1000 >/dev/null
    "$PYTHON" "$DIFF" --dump "$T/b" 5 1000 >/dev/null
    cmp "$T/a" "$T/b"
    "$PYTHON" "$DIFF" --dump "$T/c" 6 1000 >/dev/null
    ! cmp -s "$T/a" "$T/c"
}

@test "json_diff: driver and oracle give the expected verdict on the boundary cases" {
    # json_oracle.SELF_TEST: depth 512/513, BOM, NaN, lone surrogates,
    # overlongs, leading zeros, "1.", 4400-digit integers, UTF-16...
    "$PYTHON" - "$TOP/tests/fuzz" "$T/cases" "$T/want" <<'EOF'
import struct, sys
sys.path.insert(0, sys.argv[1])
import json_oracle
with open(sys.argv[2], 'wb') as f, open(sys.argv[3], 'w') as w:
    for data, ok in json_oracle.SELF_TEST:
        f.write(struct.pack('<I', len(data)) + data)
        w.write('accept\n' if ok else 'reject\n')
EOF
    "$DRIVER" <"$T/cases" | cut -d' ' -f1 >"$T/driver"
    "$PYTHON" "$TOP/tests/fuzz/json_oracle.py" <"$T/cases" >"$T/oracle"
    diff "$T/want" "$T/driver"
    diff "$T/want" "$T/oracle"
}

@test "json_diff: a lying oracle (--lie) is reported: input, both verdicts, exit 1" {
    diff_run --lie 17 3 2000
    assert_failure 1
    assert_line 'json_diff: DISAGREEMENT on input #17 (seed 3)'
    assert_line --regexp '^  input:   b'
    assert_line --regexp '^  scanner: (accept|reject )'
    assert_line --regexp '^  oracle:  (accept|reject) \(--lie\)$'
    assert_line --regexp '^json_diff: seed 3: 2000 inputs, .* 1 disagreements, '
}

@test "json_diff: each leniency of Python's json, left in the oracle (--weaken), is caught" {
    # The generator must reach every case the oracle fixes, and the
    # comparison must report it.
    local w
    for w in bytes constants surrogates keys depth intdigits; do
        diff_run --weaken "$w" --show 1 --minimize-seconds 0 1 3000
        [ "$status" -eq 1 ] || fail "--weaken $w: exit $status, expected 1: $output"
        assert_line "  oracle:  $( [ "$w" = intdigits ] && echo reject || echo accept) (--weaken $w)"
        assert_line --regexp '^json_diff: seed 1: 3000 inputs, .* [1-9][0-9]* disagreements, '
    done
}

@test "json_diff: a resumability bug (--break-split: st->scan lost between reads) aborts the driver" {
    diff_run --break-split --minimize-seconds 0 1 500
    assert_failure 1
    assert_line --regexp '^json_diff: DRIVER FAILED \(exit -6 after [0-9]+ verdicts\)$'
    assert_line --regexp '^json_diff: FAILED: (2-3|1-byte) reads differ from the whole record$'
    assert_line --regexp '^  input #[0-9]+: b'
}
