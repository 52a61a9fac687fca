# Sourced by scripts/demo.sh and bench/commands.sh: moto (the AWS emulator in python3) on a free
# 127.0.0.1 port with ohfp-chaos-proxy in front of it, both stopped by local_aws_stop.
#
#   local_aws_start WORKDIR PROXY_BINARY [PROXY_ARGS...]
#       sets LOCAL_AWS_MOTO_PORT, LOCAL_AWS_PROXY_PORT, LOCAL_AWS_ENDPOINT (the proxy's URL);
#       moto logs to WORKDIR/moto.log, the proxy to WORKDIR/proxy.log
#   local_aws_stop
#   local_aws_env     exports what an AWS client needs to talk to the proxy (region, fake credentials)

LOCAL_AWS_PIDS=()

local_aws_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

local_aws_start() {
  local work=$1 proxy=$2
  shift 2
  python3 -c 'import moto.server' 2>/dev/null || { echo "moto is missing from python3" >&2; return 1; }
  # moto's port is picked free, then bound by moto: retry if another process took it meanwhile.
  local attempt
  for attempt in 1 2 3; do
    LOCAL_AWS_MOTO_PORT=$(local_aws_free_port)
    python3 -m moto.server -H 127.0.0.1 -p "$LOCAL_AWS_MOTO_PORT" >"$work/moto.log" 2>&1 &
    LOCAL_AWS_PIDS+=($!)
    local _
    for _ in $(seq 150); do
      curl -sf "http://127.0.0.1:$LOCAL_AWS_MOTO_PORT/moto-api/data.json" >/dev/null 2>&1 && break 2
      kill -0 "${LOCAL_AWS_PIDS[-1]}" 2>/dev/null || break
      sleep 0.1
    done
    kill "${LOCAL_AWS_PIDS[-1]}" 2>/dev/null || true
    unset 'LOCAL_AWS_PIDS[-1]'
    [ "$attempt" = 3 ] && { echo "moto did not start (see $work/moto.log)" >&2; return 1; }
  done
  rm -f "$work/proxy.port"
  "$proxy" --upstream "http://127.0.0.1:$LOCAL_AWS_MOTO_PORT" --listen 127.0.0.1:0 \
    --port-file "$work/proxy.port" "$@" >"$work/proxy.log" 2>&1 &
  LOCAL_AWS_PIDS+=($!)
  for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
  [ -s "$work/proxy.port" ] || { echo "ohfp-chaos-proxy did not start (see $work/proxy.log)" >&2; return 1; }
  LOCAL_AWS_PROXY_PORT=$(cat "$work/proxy.port")
  LOCAL_AWS_ENDPOINT=http://127.0.0.1:$LOCAL_AWS_PROXY_PORT
}

local_aws_stop() {
  local pid
  for pid in "${LOCAL_AWS_PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  LOCAL_AWS_PIDS=()
  return 0
}

local_aws_env() {
  export AWS_ENDPOINT_URL=$LOCAL_AWS_ENDPOINT AWS_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CREDENTIAL_FILE
}
