# SPDX-License-Identifier: MIT
# Shared by the suites that run real protocol servers (servers.bats,
# starttls.bats, examples.bats): the servers' start/stop functions (tests/servers/*.bash),
# the test certificates, a teardown that stops whichever server a test
# started, and `need`.

load helpers
load tls_helpers
for _f in "$BATS_TEST_DIRNAME"/servers/*.bash; do
    # shellcheck disable=SC1090
    source "$_f"
done
unset _f

setup_file() { make_test_certs; }

teardown() {
    local s pid
    for s in exim dovecot slapd postgres vsftpd prosody inn inspircd mariadb mosquitto dnsmasq; do
        pid=${s^^}_PID
        if [ -n "${!pid:-}" ]; then "stop_$s"; fi
    done
    stop_all
}

# need CMD...: skip unless each CMD is installed.
need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null || [ -x "$c" ] || skip "$c not installed (make deps)"
    done
}
