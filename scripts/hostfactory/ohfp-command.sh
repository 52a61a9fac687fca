#!/bin/sh
# HostFactory's provider scripts: getAvailableTemplates.sh, requestMachines.sh, getRequestStatus.sh,
# requestReturnMachines.sh and getReturnRequests.sh are links to this file, which runs `ohfp <command>`
# with the arguments HostFactory passes (-f <input file>); the command is the script's own name, so a
# copy under one of those names works as well as the link.
# OHFP_BIN selects the ohfp binary; by default the one built in this repository, else `ohfp` on PATH.
# No subshell on the normal path: HostFactory runs this for every call, and each fork is a process.
case $0 in
  */*) here=${0%/*} ;;
  *) here=. ;;
esac
command=${0##*/}
command=${command%.sh}
case $command in
  getAvailableTemplates | requestMachines | getRequestStatus | requestReturnMachines | getReturnRequests) ;;
  *)
    echo "{\"message\": \"$command is not a HostFactory command: call this script through one of its five names\"}"
    exit 2
    ;;
esac
bin=${OHFP_BIN:-$here/../../build/default/plugin/src/cli/ohfp}
if [ ! -x "$bin" ]; then
  bin=$(command -v ohfp 2>/dev/null)
fi
if [ -z "$bin" ]; then
  echo '{"message": "ohfp is not built or installed: run scripts/demo.sh or set OHFP_BIN"}'
  exit 1
fi
exec "$bin" "$command" "$@"
