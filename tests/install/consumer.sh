#!/bin/sh
# A project outside ohfp built against the installed library, twice: with CMake (find_package(ohfp),
# tests/install/consumer/) and with pkg-config (ohfp-resilience.pc); each program runs a circuit
# breaker and must find libohfp-resilience in the prefix.
#   consumer.sh CMAKE GENERATOR CXX PREFIX WORKDIR
set -eu
cmake=$1 generator=$2 cxx=$3 prefix=$4 work=$5
source=$(cd "$(dirname "$0")/consumer" && pwd)
rm -rf "$work"
mkdir -p "$work"

fail() {
  echo "consumer: $*" >&2
  exit 1
}

echo "== CMake: find_package(ohfp) from $prefix"
"$cmake" -S "$source" -B "$work/cmake" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configure failed"; }
grep -q "ohfp 0.1.0 from $prefix/lib/cmake/ohfp" "$work/configure.log" ||
  { cat "$work/configure.log"; fail "find_package(ohfp) did not find the package in $prefix"; }
"$cmake" --build "$work/cmake" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build failed"; }
"$work/cmake/breaker_demo" || fail "breaker_demo (ohfp::resilience, shared) failed"
ldd "$work/cmake/breaker_demo" | grep -q "libohfp-resilience.so.0.1 => $prefix/lib/libohfp-resilience.so.0.1" ||
  { ldd "$work/cmake/breaker_demo"; fail "breaker_demo does not load the installed shared library"; }
"$work/cmake/breaker_demo_static" || fail "breaker_demo_static (ohfp::resilience_static) failed"
if ldd "$work/cmake/breaker_demo_static" | grep -q libohfp-resilience; then
  fail "breaker_demo_static loads libohfp-resilience.so"
fi

echo "== pkg-config ohfp-resilience from $prefix"
PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export PKG_CONFIG_PATH
version=$(pkg-config --modversion ohfp-resilience) || fail "pkg-config does not know ohfp-resilience"
[ "$version" = "0.1.0" ] || fail "pkg-config says version $version"
# shellcheck disable=SC2046  # the flags are words
"$cxx" -std=c++20 -DOHFP_CONSUMER_NO_TESTING "$source/main.cc" -o "$work/pkgconfig_demo" \
  $(pkg-config --cflags --libs ohfp-resilience) -pthread || fail "the pkg-config build failed"
LD_LIBRARY_PATH=$prefix/lib "$work/pkgconfig_demo" || fail "pkgconfig_demo failed"
echo "consumer: OK"
