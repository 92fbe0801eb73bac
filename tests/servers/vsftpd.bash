# SPDX-License-Identifier: MIT
# vsftpd 3.0.3 (Debian vsftpd, OpenSSL) as a private FTP server with AUTH TLS:
# vsftpd DIR/vsftpd.conf (listen=YES standalone, background=NO: in the
# foreground).  Local (PAM) logins are enabled but no user is made; the
# anonymous user is refused: for AUTH TLS (the FTP STARTTLS) only.
#
#   start_vsftpd DIR CERT KEY   sets VSFTPD_PORT, VSFTPD_PID
#   stop_vsftpd

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_vsftpd() {
    local dir=$1 cert=$2 key=$3 port
    srv_absdir dir "$dir"
    VSFTPD_PORT='' VSFTPD_PID=''
    mkdir -p "$dir/empty" || return 1
    chmod 0755 "$dir/empty"
    srv_open_path "$dir" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    # vsftpd wants its config owned by root (the user running it) and not
    # writable by others.  seccomp_sandbox and isolate*: off, they fail in
    # containers (gVisor, unprivileged).  ssl_ciphers: the default
    # (DES-CBC3-SHA) is refused by OpenSSL 3.
    cat >"$dir/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=$dir/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
xferlog_enable=NO
vsftpd_log_file=$dir/vsftpd.log
dual_log_enable=NO
syslog_enable=NO
use_localtime=NO
pasv_enable=YES
pasv_address=127.0.0.1
ssl_enable=YES
rsa_cert_file=$SRV_CERT
rsa_private_key_file=$SRV_KEY
ssl_ciphers=HIGH
ssl_tlsv1=YES
ssl_sslv2=NO
ssl_sslv3=NO
allow_anon_ssl=NO
force_local_data_ssl=NO
force_local_logins_ssl=NO
require_ssl_reuse=NO
ftpd_banner=aecat test FTP
CONF
    chmod 0600 "$dir/vsftpd.conf"
    srv_spawn vsftpd "$dir/vsftpd.out" vsftpd "$dir/vsftpd.conf"
    VSFTPD_PID=$SRV_PID
    srv_wait vsftpd "$VSFTPD_PID" "$port" "srv_banner $port '^220 '" \
        "$dir/vsftpd.out" "$dir/vsftpd.log" || { VSFTPD_PID=; return 1; }
    VSFTPD_PORT=$port
}

stop_vsftpd() { srv_stop "$VSFTPD_PID"; VSFTPD_PID=; }
