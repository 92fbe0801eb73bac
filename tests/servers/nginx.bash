# nginx (Debian nginx-light) as a private HTTP and HTTPS server: one
# process (master_process off, daemon off), config and logs under DIR, on
# two free 127.0.0.1 ports.  Every path answers 200 with the body
# "hello from nginx\n" (GET and HEAD), so HTTP checks have a known reply.
#
#   start_nginx DIR CERT KEY   sets NGINX_PORT (HTTP), NGINX_TLS_PORT (HTTPS), NGINX_PID
#   stop_nginx

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_nginx() {
    local dir=$1 cert=$2 key=$3 port tport
    srv_absdir dir "$dir"
    NGINX_PORT='' NGINX_TLS_PORT='' NGINX_PID=''
    mkdir -p "$dir/logs" || return 1
    srv_cert_copy "$dir" "$cert" "$key" root:root || return 1
    srv_free_port port || return 1
    srv_free_port tport || return 1
    cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 64; }
http {
    access_log $dir/logs/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    default_type text/plain;
    server {
        listen 127.0.0.1:$port;
        listen 127.0.0.1:$tport ssl;
        server_name localhost;
        ssl_certificate $SRV_CERT;
        ssl_certificate_key $SRV_KEY;
        location / { return 200 "hello from nginx\n"; }
    }
}
CONF
    srv_spawn nginx "$dir/nginx.out" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
    NGINX_PID=$SRV_PID
    srv_wait nginx "$NGINX_PID" "$port" "srv_listening $tport" \
        "$dir/nginx.out" "$dir/logs/error.log" || { NGINX_PID=; return 1; }
    NGINX_PORT=$port
    NGINX_TLS_PORT=$tport
}

stop_nginx() { srv_stop "$NGINX_PID"; NGINX_PID=; }
