#!/bin/sh
# cmake --install into an empty prefix, then the layout a site and a C++ user rely on
# (cmake/OhfpInstall.cmake): every file in its place, the HostFactory scripts pointing at the
# installed ohfp, and no path into the build or source tree in what is installed as text.
#   install_tree.sh CMAKE BUILD_DIR SOURCE_DIR PREFIX
set -eu
cmake=$1 build=$2 source=$3 prefix=$4

fail() {
  echo "install_tree: $*" >&2
  exit 1
}

rm -rf "$prefix"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install failed"

for f in bin/ohfp bin/ohfp-serve bin/ohfp-chaos-proxy bin/ohfp-hf-simulator lib/systemd/system/ohfp-serve.service \
  libexec/ohfp/hostfactory/ohfp-command.sh \
  etc/ohfp/config.json etc/ohfp/awsprov_templates.json etc/ohfp/seed-resilience.json \
  etc/ohfp/recommended-resilience.json etc/ohfp/serve.env.example \
  share/ohfp/scenarios/throttle-storm.trace.jsonl share/ohfp/scenarios/throttle-storm.faults.json \
  share/doc/ohfp/README.md share/doc/ohfp/operations.md share/doc/ohfp/copyright \
  share/man/man1/ohfp.1.gz share/man/man1/ohfp-chaos-proxy.1.gz share/man/man1/ohfp-hf-simulator.1.gz \
  include/ohfp/resilience/circuit_breaker.h include/ohfp/resilience/pipeline.h \
  include/ohfp/resilience/testing/recording_observer.h \
  lib/libohfp-resilience.a lib/libohfp-resilience.so.0.1.0 \
  lib/cmake/ohfp/ohfpConfig.cmake lib/cmake/ohfp/ohfpConfigVersion.cmake lib/cmake/ohfp/ohfpTargets.cmake \
  lib/pkgconfig/ohfp-resilience.pc share/doc/libohfp-resilience-dev/library.md; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done
[ "$(readlink "$prefix/lib/libohfp-resilience.so.0.1")" = libohfp-resilience.so.0.1.0 ] ||
  fail "lib/libohfp-resilience.so.0.1 is not the SONAME link"
[ "$(readlink "$prefix/lib/libohfp-resilience.so")" = libohfp-resilience.so.0.1 ] ||
  fail "lib/libohfp-resilience.so is not the development link"
for c in getAvailableTemplates requestMachines getRequestStatus requestReturnMachines getReturnRequests; do
  [ "$(readlink "$prefix/libexec/ohfp/hostfactory/$c.sh")" = ohfp-command.sh ] ||
    fail "libexec/ohfp/hostfactory/$c.sh is not a link to ohfp-command.sh"
done
grep -q '^relative_bin=../../../bin/ohfp$' "$prefix/libexec/ohfp/hostfactory/ohfp-command.sh" ||
  fail "the installed ohfp-command.sh does not look for ../../../bin/ohfp"
[ -x "$prefix/libexec/ohfp/hostfactory/ohfp-command.sh" ] || fail "ohfp-command.sh is not executable"
"$prefix/bin/ohfp" --version | grep -q '^0\.1\.0$' || fail "bin/ohfp --version"
"$prefix/bin/ohfp-hf-simulator" --help | grep -q -- "--shim-dir TEXT=$prefix/libexec/ohfp/hostfactory" ||
  fail "ohfp-hf-simulator does not default to the installed scripts"
gzip -dc "$prefix/share/man/man1/ohfp.1.gz" | grep -q '^\.TH OHFP' || fail "ohfp.1.gz is not a man page"
if readelf -d "$prefix/bin/ohfp" | grep -q 'libohfp-resilience'; then
  fail "bin/ohfp loads libohfp-resilience.so: it must link the library statically"
fi
for dir in "$build" "$source"; do
  if grep -rl -- "$dir" "$prefix/lib/cmake" "$prefix/lib/pkgconfig" "$prefix/libexec" "$prefix/etc" \
    "$prefix/share/ohfp"; then
    fail "the files above name $dir"
  fi
done
echo "install_tree: OK ($prefix)"
