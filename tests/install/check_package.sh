#!/bin/sh
# The Debian packages: cpack -G DEB in the build tree, then
#  1. dpkg-deb --info / --contents: names, versions, Depends (dpkg-shlibdeps), sections,
#     conffiles, the ldconfig trigger and shlibs of the library, every file in its FHS place;
#  2. lintian: no error (the remaining warnings are explained in docs/operations.md);
#  3. install, remove and purge in a scratch dpkg root (dpkg --root, maintainer scripts run
#     outside it with a stub ldconfig, so the real system is never touched): after install the
#     packaged ohfp answers through the packaged scripts; after remove only the conffiles in
#     /etc/ohfp are left; after purge nothing but dpkg's own bookkeeping.
#   check_package.sh CPACK BUILD_DIR WORKDIR
set -eu
cpack=$1 build=$2 work=$3
version=0.1.0
soversion=0.1

fail() {
  echo "check_package: $*" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work"
(cd "$build" && "$cpack" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
deb() { echo "$work/out/$1_${version}_$(dpkg --print-architecture).deb"; }
runtime=$(deb ohfp) serve=$(deb ohfp-serve) tools=$(deb ohfp-tools) lib=$(deb libohfp-resilience$soversion)
dev=$(deb libohfp-resilience-dev)
for p in "$runtime" "$serve" "$tools" "$lib" "$dev"; do [ -f "$p" ] || fail "no $p (cpack wrote: $(ls "$work/out"))"; done

echo "== 1. metadata and layout"
field() { dpkg-deb --field "$1" "$2"; }
contents() { dpkg-deb --contents "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
has() { contents "$1" | grep -qx -- "$2" || fail "$(basename "$1") has no $2"; }
[ "$(field "$runtime" Package)" = ohfp ] || fail "runtime package name"
[ "$(field "$runtime" Version)" = "$version" ] || fail "runtime version"
[ "$(field "$runtime" Section)" = admin ] || fail "runtime section"
for d in 'libc6 (>=' 'libssl3 (>=' 'libsqlite3-0 (>='; do
  field "$runtime" Depends | grep -qF "$d" || fail "ohfp does not depend on $d...: $(field "$runtime" Depends)"
done
# The executable links its C++ libraries statically: no C++ runtime, no libcurl, no library of ours.
if field "$runtime" Depends | grep -qE 'libstdc\+\+|libcurl|libohfp'; then
  fail "ohfp depends on $(field "$runtime" Depends)"
fi
field "$tools" Depends | grep -qF 'libcpp-httplib' || fail "ohfp-tools does not depend on cpp-httplib"
field "$serve" Depends | grep -qF 'libcpp-httplib' || fail "ohfp-serve does not depend on cpp-httplib"
field "$serve" Depends | grep -qF "ohfp (= $version)" || fail "ohfp-serve does not depend on ohfp"
dpkg-deb --info "$serve" conffiles | grep -qx /etc/ohfp/serve.env.example ||
  fail "/etc/ohfp/serve.env.example is not a conffile of ohfp-serve"
for f in /usr/bin/ohfp-serve /lib/systemd/system/ohfp-serve.service /etc/ohfp/serve.env.example \
  /usr/share/man/man1/ohfp-serve.1.gz; do has "$serve" "$f"; done
field "$dev" Depends | grep -qF "libohfp-resilience$soversion (= $version)" ||
  fail "the -dev package does not depend on its library: $(field "$dev" Depends)"
[ "$(field "$lib" Section)" = libs ] || fail "library section"
[ "$(field "$dev" Section)" = libdevel ] || fail "-dev section"
dpkg-deb --info "$runtime" conffiles >"$work/conffiles"
for f in config.json awsprov_templates.json seed-resilience.json recommended-resilience.json; do
  grep -qx "/etc/ohfp/$f" "$work/conffiles" || fail "/etc/ohfp/$f is not a conffile"
done
dpkg-deb --info "$lib" shlibs | grep -qx "libohfp-resilience $soversion libohfp-resilience$soversion (>= $version)" ||
  fail "the library's shlibs: $(dpkg-deb --info "$lib" shlibs)"
dpkg-deb --info "$lib" triggers | grep -qx "activate-noawait ldconfig" || fail "no ldconfig trigger"
for f in /usr/bin/ohfp /usr/libexec/ohfp/hostfactory/ohfp-command.sh \
  /usr/libexec/ohfp/hostfactory/requestMachines.sh /etc/ohfp/config.json \
  /usr/share/doc/ohfp/copyright /usr/share/doc/ohfp/changelog.gz /usr/share/man/man1/ohfp.1.gz \
  /usr/share/ohfp/scenarios/throttle-storm.trace.jsonl; do has "$runtime" "$f"; done
for f in /usr/bin/ohfp-chaos-proxy /usr/bin/ohfp-hf-simulator /usr/share/man/man1/ohfp-hf-simulator.1.gz \
  /usr/share/doc/ohfp-tools/copyright; do has "$tools" "$f"; done
for f in /usr/lib/libohfp-resilience.so.$version /usr/lib/libohfp-resilience.so.$soversion \
  /usr/share/doc/libohfp-resilience$soversion/copyright; do has "$lib" "$f"; done
for f in /usr/include/ohfp/resilience/pipeline.h /usr/lib/libohfp-resilience.so /usr/lib/libohfp-resilience.a \
  /usr/lib/cmake/ohfp/ohfpConfig.cmake /usr/lib/pkgconfig/ohfp-resilience.pc \
  /usr/share/doc/libohfp-resilience-dev/copyright; do has "$dev" "$f"; done
for p in "$runtime" "$serve" "$tools" "$lib" "$dev"; do
  outside=$(contents "$p" | grep -vE '^/(usr/(bin|lib|libexec|include|share)|etc/ohfp|lib/systemd/system)(/|$)' |
    grep -vxE '/|/usr/?|/etc/?|/lib/?|/lib/systemd/?' || true)
  [ -z "$outside" ] || fail "$(basename "$p") installs outside the FHS places: $outside"
done
dpkg-deb --fsys-tarfile "$runtime" | tar -xO ./usr/bin/ohfp >"$work/ohfp.packaged"
file "$work/ohfp.packaged" | grep -q ', stripped' || fail "/usr/bin/ohfp is not stripped"

echo "== 2. lintian"
if ! command -v lintian >/dev/null; then
  fail "lintian is missing: scripts/install-deps.sh installs it"
fi
lintian --tag-display-limit 0 "$runtime" "$serve" "$tools" "$lib" "$dev" >"$work/lintian.txt" 2>&1 || true
cat "$work/lintian.txt"
if grep -q '^E: ' "$work/lintian.txt"; then
  fail "lintian reports errors"
fi

echo "== 3. install, remove, purge in a scratch dpkg root"
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$work/stub"
: >"$root/var/lib/dpkg/status"
printf '#!/bin/sh\necho "ldconfig $*" >>"%s/ldconfig.calls"\n' "$work" >"$work/stub/ldconfig"
chmod +x "$work/stub/ldconfig"
listing() { (cd "$root" && find . ! -path './var/lib/dpkg/*' | sort); }
listing >"$work/before"
dpkg_root() {
  PATH=$work/stub:$PATH dpkg --root="$root" --force-script-chrootless --force-depends --force-not-root \
    --log=/dev/null "$@" >>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg $*"; }
}
dpkg_root --install "$runtime" "$serve" "$tools" "$lib" "$dev"
for p in ohfp ohfp-serve ohfp-tools libohfp-resilience$soversion libohfp-resilience-dev; do
  dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}\n' "$p" | grep -qx 'install ok installed' ||
    fail "$p is not installed in the scratch root"
done
[ -s "$work/ldconfig.calls" ] || fail "the library's postinst did not run ldconfig"
[ "$("$root/usr/bin/ohfp" --version)" = "$version" ] || fail "the packaged ohfp does not run"
mkdir -p "$work/conf"
cp "$root/etc/ohfp/awsprov_templates.json" "$work/conf/"
# The example templates give ncpus and nram: listing them needs no AWS.
out=$(env -u OHFP_BIN PATH=/usr/bin:/bin HF_PROVIDER_CONFDIR="$work/conf" AWS_REGION=us-east-1 \
  "$root/usr/libexec/ohfp/hostfactory/getAvailableTemplates.sh") || fail "the packaged script failed: $out"
echo "$out" | grep -q '"templateId":"OnDemand-C5-RunInstances"' || fail "the packaged script answered: $out"
dpkg_root --remove ohfp-serve ohfp ohfp-tools libohfp-resilience-dev libohfp-resilience$soversion
listing >"$work/after-remove"
left=$(diff "$work/before" "$work/after-remove" | sed -n 's/^> //p' | tr '\n' ' ')
[ "$left" = "./etc ./etc/ohfp ./etc/ohfp/awsprov_templates.json ./etc/ohfp/config.json ./etc/ohfp/recommended-resilience.json ./etc/ohfp/seed-resilience.json ./etc/ohfp/serve.env.example " ] ||
  fail "after remove, expected only the conffiles, found: $left"
dpkg_root --purge ohfp-serve ohfp ohfp-tools libohfp-resilience-dev libohfp-resilience$soversion
listing >"$work/after-purge"
diff "$work/before" "$work/after-purge" || fail "purge left the files above"
if grep -q '^Package:' "$root/var/lib/dpkg/status"; then
  fail "dpkg still lists packages after purge: $(grep '^Package:' "$root/var/lib/dpkg/status")"
fi
echo "check_package: OK ($work/out)"
