# nginx 1.22 (Debian nginx-light, OpenSSL) as a private HTTPS server: nginx
# -p DIR -c DIR/nginx.conf with `daemon off;` (in the foreground, the master
# is the PID stopped), one worker, logs and temp files under DIR, listening
# on 127.0.0.1 with ssl.  It serves DIR/html/index.html, whose text is
# NGINX_BODY.  After a client's close_notify it closes TCP without its own
# (measured: NOTES.md "Real servers and peers").
#
#   start_nginx DIR CERT KEY   sets NGINX_PORT, NGINX_PID
#   stop_nginx

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID, NGINX_BODY: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

NGINX_BODY='hello from nginx'

start_nginx() {
    local dir=$1 cert=$2 key=$3 port
    srv_absdir dir "$dir"
    NGINX_PORT='' NGINX_PID=''
    mkdir -p "$dir/html" "$dir/logs" "$dir/tmp" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    printf '%s\n' "$NGINX_BODY" >"$dir/html/index.html"
    # user root: the workers then read what the master could (no
    # privilege drop to www-data, which could not enter the test's dir)
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
        listen 127.0.0.1:$port ssl;
        server_name localhost;
        ssl_certificate $SRV_CERT;
        ssl_certificate_key $SRV_KEY;
        root $dir/html;
    }
}
CONF
    srv_spawn nginx "$dir/nginx.out" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
    NGINX_PID=$SRV_PID
    srv_wait nginx "$NGINX_PID" "$port" "" "$dir/nginx.out" "$dir/logs/error.log" ||
        { NGINX_PID=; return 1; }
    NGINX_PORT=$port
}

stop_nginx() { srv_stop "$NGINX_PID"; NGINX_PID=; }
