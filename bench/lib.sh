# Sourced by bench/commands.sh and bench/serve.sh: moto and ohfp-chaos-proxy on loopback (scripts/lib/local-aws.sh),
# an installation in a temporary directory, and one request whose instances the proxy keeps `pending`.
#
#   bench_start SCRIPT
#       sets work to a new temporary directory and starts moto and the proxy ($proxy) in it; on exit stops them and
#       removes the directory, unless KEEP is set (then SCRIPT says where it is)
#   bench_install WORK < templates.json
#       WORK/conf (the seed's example configuration, the templates file read from stdin), WORK/work, WORK/logs;
#       exports the environment HostFactory gives every command (HF_PROVIDER_*, the AWS ones) and OHFP_BIN
#       (from $ohfp); sets bench_shims to scripts/hostfactory
#   bench_pending_request WORK COUNT
#       requestMachines of COUNT OnDemand-C5 machines through the shim; writes WORK/status.json (its
#       getRequestStatus input) and has the proxy answer DescribeInstances with its COUNT instances still pending
#       (bench/hold_pending.py)

bench_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/lib/local-aws.sh
source "$bench_lib_root/scripts/lib/local-aws.sh"

bench_start() {
  bench_script=$1
  work=$(mktemp -d "${TMPDIR:-/tmp}/ohfp-bench.XXXXXX")
  trap bench_stop EXIT
  local_aws_start "$work" "$proxy" --quiet
}

bench_stop() {
  local_aws_stop
  if [ -n "${KEEP:-}" ]; then echo "$bench_script: kept $work" >&2; else rm -rf "$work"; fi
}

bench_install() {
  local work=$1
  mkdir -p "$work/conf" "$work/work" "$work/logs"
  cp "$bench_lib_root/config/examples/seed-resilience.json" "$work/conf/config.json"
  cat >"$work/conf/awsprov_templates.json"
  export HF_PROVIDER_CONFDIR=$work/conf HF_PROVIDER_WORKDIR=$work/work HF_PROVIDER_LOGDIR=$work/logs
  local_aws_env
  export OHFP_BIN=$ohfp
  bench_shims=$bench_lib_root/scripts/hostfactory
}

bench_pending_request() {
  local work=$1 count=$2 request_id
  echo "{\"template\": {\"templateId\": \"OnDemand-C5\", \"machineCount\": $count}}" >"$work/request.json"
  request_id=$("$bench_shims/requestMachines.sh" -f "$work/request.json" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["requestId"])')
  echo "{\"requests\": [{\"requestId\": \"$request_id\"}]}" >"$work/status.json"
  python3 "$bench_lib_root/bench/hold_pending.py" --moto "$LOCAL_AWS_MOTO_PORT" --proxy "$LOCAL_AWS_PROXY_PORT" \
    --request-id "$request_id" --expect "$count"
}
