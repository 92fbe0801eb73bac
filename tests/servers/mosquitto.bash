# SPDX-License-Identifier: MIT
# Mosquitto 2 (Debian mosquitto) as a private MQTT broker: a config file in
# DIR with one listener on 127.0.0.1:PORT, anonymous clients allowed, no
# persistence, its log on stderr.  Ready when the port listens.
#
#   start_mosquitto DIR   sets MOSQUITTO_PORT, MOSQUITTO_PID
#   stop_mosquitto

# shellcheck source-path=SCRIPTDIR source=common.bash disable=SC2034  # NAME_PORT, NAME_PID: for the caller
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

start_mosquitto() {
    local dir=$1 port
    srv_absdir dir "$dir"
    MOSQUITTO_PORT='' MOSQUITTO_PID=''
    mkdir -p "$dir" || return 1
    srv_open_path "$dir" || return 1
    srv_free_port port || return 1
    printf '%s\n' "listener $port 127.0.0.1" 'allow_anonymous true' 'persistence false' \
        'log_dest stderr' >"$dir/mosquitto.conf" || return 1
    chmod 0644 "$dir/mosquitto.conf"
    srv_spawn mosquitto "$dir/mosquitto.log" mosquitto -c "$dir/mosquitto.conf"
    MOSQUITTO_PID=$SRV_PID
    srv_wait mosquitto "$MOSQUITTO_PID" "$port" "" "$dir/mosquitto.log" ||
        { MOSQUITTO_PID=; return 1; }
    MOSQUITTO_PORT=$port
}

stop_mosquitto() { srv_stop "$MOSQUITTO_PID"; MOSQUITTO_PID=; }
