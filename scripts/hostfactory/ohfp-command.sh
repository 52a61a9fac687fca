#!/bin/sh
# HostFactory's provider scripts: getAvailableTemplates.sh, requestMachines.sh, getRequestStatus.sh,
# requestReturnMachines.sh and getReturnRequests.sh are links to this file, which runs `ohfp <command>`
# with the arguments HostFactory passes (-f <input file>); the command is the script's own name, so a
# copy under one of those names works as well as the link.
# Which ohfp: OHFP_BIN if set; else the one beside these scripts: installed, ${prefix}/bin/ohfp
# (relative_bin below, written by `cmake --install`), in the source tree, the build of the default
# preset; else, when this script was reached through a symbolic link from elsewhere, the same
# relative to its real location; else `ohfp` on PATH.
# No subshell on the normal path: HostFactory runs this for every call, and each fork is a process.
relative_bin=../../build/default/plugin/src/cli/ohfp
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
if [ -n "${OHFP_BIN:-}" ]; then
  bin=$OHFP_BIN
  if [ ! -x "$bin" ]; then
    echo "{\"message\": \"OHFP_BIN=$bin is not an executable file\"}"
    exit 1
  fi
else
  bin=$here/$relative_bin
  if [ ! -x "$bin" ]; then
    real=$(readlink -f -- "$0" 2>/dev/null)
    bin=${real%/*}/$relative_bin
    [ -n "$real" ] && [ -x "$bin" ] || bin=$(command -v ohfp 2>/dev/null)
    if [ -z "$bin" ]; then
      echo "{\"message\": \"ohfp not found at $here/$relative_bin nor on PATH: install the ohfp package, build it (scripts/demo.sh) or set OHFP_BIN\"}"
      exit 1
    fi
  fi
fi
exec "$bin" "$command" "$@"
