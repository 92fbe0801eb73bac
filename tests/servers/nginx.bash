# SPDX-License-Identifier: MIT
# nginx 1.22 (Debian nginx-light, OpenSSL) as a private HTTP, HTTPS and
# h2c (HTTP/2 over cleartext TCP with prior knowledge: `listen PORT http2;`
# without ssl) server: nginx -p DIR -c DIR/nginx.conf with `daemon off;` (in the
# foreground, the master is the PID stopped), one worker, logs and temp
# files under DIR, on three free 127.0.0.1 ports.  Every path answers 200 with
# the body NGINX_BODY and a newline (GET and HEAD), so HTTP checks have a
# known reply; under /files/ it serves DIR/www (big.txt: the numbers 1 to
# 20000, one a line), gzipped (chunked) when asked.  After a client's
# close_notify it closes TCP without its own (measured: NOTES.md "Real servers and peers").
#
#   start_nginx DIR CERT KEY   sets NGINX_PORT (HTTP), NGINX_TLS_PORT (HTTPS),
#                              NGINX_H2C_PORT (h2c), NGINX_PID
#   stop_nginx

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID, NGINX_BODY: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

NGINX_BODY='hello from nginx'

start_nginx() {
    local dir=$1 cert=$2 key=$3 port tport h2port
    srv_absdir dir "$dir"
    NGINX_PORT='' NGINX_TLS_PORT='' NGINX_H2C_PORT='' NGINX_PID=''
    mkdir -p "$dir/logs" "$dir/tmp" "$dir/www" || return 1
    seq 1 20000 >"$dir/www/big.txt" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    srv_free_port tport || return 1
    srv_free_port h2port || return 1
    # user root: the worker then reads what the master could (no privilege
    # drop to www-data, which could not enter the test's directory)
    cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $dir/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 64; }
http {
    access_log $dir/logs/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    default_type text/plain;
    server {
        listen 127.0.0.1:$port;
        listen 127.0.0.1:$tport ssl;
        listen 127.0.0.1:$h2port http2;
        server_name localhost;
        ssl_certificate $SRV_CERT;
        ssl_certificate_key $SRV_KEY;
        location / { return 200 "$NGINX_BODY\n"; }
        location /files/ {
            alias $dir/www/;
            gzip on;
            gzip_types text/plain;
        }
    }
}
CONF
    srv_spawn nginx "$dir/nginx.out" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
    NGINX_PID=$SRV_PID
    srv_wait nginx "$NGINX_PID" "$port" "srv_listening $tport && srv_listening $h2port" \
        "$dir/nginx.out" "$dir/logs/error.log" || { NGINX_PID=; return 1; }
    NGINX_PORT=$port
    NGINX_TLS_PORT=$tport
    NGINX_H2C_PORT=$h2port
}

stop_nginx() { srv_stop "$NGINX_PID"; NGINX_PID=; }
