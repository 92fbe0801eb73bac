# SPDX-License-Identifier: MIT
# Dovecot 2.3 (Debian dovecot-core, -imapd, -pop3d, -lmtpd, -managesieved)
# as a private IMAP + POP3 + LMTP + ManageSieve server with STARTTLS on each:
# dovecot -F -c DIR/dovecot.conf (master in the foreground; base_dir and
# state_dir in DIR, no /etc/dovecot config read).  One user, "test" with
# password "test" (mail under DIR/home/test, as nobody).
#
#   start_dovecot DIR CERT KEY   sets DOVECOT_IMAP_PORT, DOVECOT_POP3_PORT,
#                                DOVECOT_LMTP_PORT, DOVECOT_SIEVE_PORT,
#                                DOVECOT_PORT (= IMAP) and DOVECOT_PID
#   stop_dovecot

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_dovecot() {
    local dir=$1 cert=$2 key=$3 imap pop3 lmtp sieve
    srv_absdir dir "$dir"
    DOVECOT_PORT='' DOVECOT_IMAP_PORT='' DOVECOT_POP3_PORT='' DOVECOT_LMTP_PORT='' DOVECOT_SIEVE_PORT=''
    DOVECOT_PID=''
    mkdir -p "$dir/run" "$dir/state" "$dir/home/test" || return 1
    srv_open_path "$dir" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    chown nobody:nogroup "$dir/home" "$dir/home/test" || return 1
    # base_dir: dovecot makes its sockets and the login processes' chroot
    # (run/login, reached as dovenull) there itself
    chmod 0755 "$dir/run"
    srv_free_port imap && srv_free_port pop3 && srv_free_port lmtp &&
        srv_free_port sieve || return 1
    printf 'test:{PLAIN}test::::::\n' >"$dir/passwd"
    chmod 0644 "$dir/passwd"
    cat >"$dir/dovecot.conf" <<CONF
# private instance for aecat's tests
instance_name = aecat-dovecot-$$-$imap
base_dir = $dir/run
state_dir = $dir/state
protocols = imap pop3 lmtp sieve
listen = 127.0.0.1
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
ssl = yes
ssl_cert = <$SRV_CERT
ssl_key = <$SRV_KEY
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dir/home/%n
}
service imap-login {
  inet_listener imap {
    port = $imap
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $pop3
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp
  }
}
service managesieve-login {
  inet_listener sieve {
    port = $sieve
  }
}
# no stats, director, imap-urlauth, doveadm listeners on the network
service doveadm {
  inet_listener {
    port = 0
  }
}
CONF
    chmod 0644 "$dir/dovecot.conf"
    srv_spawn dovecot "$dir/dovecot.out" dovecot -F -c "$dir/dovecot.conf"
    DOVECOT_PID=$SRV_PID
    srv_wait dovecot "$DOVECOT_PID" "$imap" \
        "srv_listening $pop3 && srv_listening $lmtp && srv_listening $sieve && srv_banner $imap '^\* OK '" \
        "$dir/dovecot.out" "$dir/dovecot.log" || { DOVECOT_PID=; return 1; }
    DOVECOT_PORT=$imap DOVECOT_IMAP_PORT=$imap DOVECOT_POP3_PORT=$pop3
    DOVECOT_LMTP_PORT=$lmtp DOVECOT_SIEVE_PORT=$sieve
}

stop_dovecot() { srv_stop "$DOVECOT_PID"; DOVECOT_PID=; }
