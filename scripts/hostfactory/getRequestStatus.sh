#!/bin/sh
# HostFactory's getRequestStatus script: runs `ohfp getRequestStatus` with the arguments HostFactory passes (-f <input file>).
# OHFP_BIN selects the ohfp binary; by default the one built in this repository, else `ohfp` on PATH.
here=$(cd "$(dirname "$0")" && pwd)
bin=${OHFP_BIN:-$here/../../build/default/plugin/src/cli/ohfp}
if [ ! -x "$bin" ]; then
  bin=$(command -v ohfp 2>/dev/null)
fi
if [ -z "$bin" ]; then
  echo '{"message": "ohfp is not built or installed: run scripts/demo.sh or set OHFP_BIN"}'
  exit 1
fi
exec "$bin" getRequestStatus "$@"
