#!/usr/bin/env bash
# Installs what ohfp needs to build, test and run its demo, and says on stderr what it found and did:
#  - the Debian packages listed below, with apt-get (no apt-get update when none is missing); among
#    them PostgreSQL 15 (the server the shared-store tests start for themselves, never as a
#    service) and libpq-dev (the client's headers; ohfp loads libpq only when store.url is set);
#  - chromium (Debian's), in which the dashboard test loads `ohfp serve`'s page headless;
#  - uPlot, the dashboard's charting library, with `npm ci` in plugin/src/serve/web/ (package-lock.json pins it)
#    when npm is on PATH (the nodejs that ships npm, or Debian's npm when there is no npm at all). Only
#    scripts/update-uplot.py needs it: uPlot's files are committed in web/vendor/uplot/, so a build needs no npm;
#  - moto 5 with its server extra: the AWS emulator that the integration tests, scripts/demo.sh and
#    bench/commands.sh start as `python3 -m moto.server`. Debian does not package it, so when the python3 first on
#    PATH cannot import it, it is installed into that python3 with pip (the project's one pip dependency).
# Idempotent: when everything is there it installs nothing and needs no network.
#
#   scripts/install-deps.sh             install what is missing
#   scripts/install-deps.sh --dry-run   only say what is missing and what would be run
set -euo pipefail

dry_run=0
case "${1:-}" in
  "") ;;
  -n | --dry-run) dry_run=1 ;;
  -h | --help) sed -n '2,/^set /p' "$0" | grep '^#' | cut -c3-; exit 0 ;;
  *) echo "install-deps: unknown argument '$1' (use --dry-run)" >&2; exit 2 ;;
esac

say() { echo "install-deps: $*" >&2; }

packages=(
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3
  libpq-dev postgresql
  nlohmann-json3-dev libpugixml-dev libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev
  clang-format clang-tidy hyperfine curl
  python3 python3-pip
  # The Debian packages (cpack -G DEB) and their checks: dpkg-shlibdeps, file, lintian; man pages.
  dpkg-dev file lintian help2man
  chromium
  clang libclang-rt-14-dev  # the fuzz preset: clang 14 and libFuzzer (-fsanitize=fuzzer)
)
# npm from Debian only when none is on PATH: a nodejs that ships its own npm conflicts with Debian's npm package.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

# moto as the tests use it. Written against moto 5.2.1; any 5.x will do.
moto_requirement='moto[server]>=5,<6'

# ---- Debian packages ----

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

if [ ${#missing[@]} -eq 0 ]; then
  say "Debian packages: all ${#packages[@]} installed"
elif [ "$dry_run" -eq 1 ]; then
  say "Debian packages: would install ${missing[*]} (apt-get update; apt-get install)"
else
  say "Debian packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- the dashboard's npm packages ----

web="$(cd "$(dirname "$0")/.." && pwd)/plugin/src/serve/web"
if [ -d "$web/node_modules/uplot" ]; then
  say "npm: plugin/src/serve/web/node_modules is there"
elif ! command -v npm >/dev/null 2>&1; then
  say "npm: not on PATH; only scripts/update-uplot.py needs it (uPlot's files are committed)"
elif [ "$dry_run" -eq 1 ]; then
  say "npm: would run npm ci in plugin/src/serve/web"
else
  say "npm: npm ci in plugin/src/serve/web"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
    say "npm: npm ci failed; scripts/update-uplot.py cannot refresh uPlot until it works"
fi

# ---- moto in python3 ----

# Prints moto's version and succeeds when this python3 can run moto's server: moto 5.x, boto3, and the server
# extra's web framework. Otherwise prints why not and fails.
moto_check='
import sys
try:
    import moto, boto3, moto.server, flask, flask_cors
except Exception as e:  # ImportError, or whatever a half-installed package raises
    print(f"cannot import moto with its server extra ({type(e).__name__}: {e})")
    sys.exit(1)
try:
    from importlib.metadata import version
    v = version("moto")
except Exception:
    v = getattr(moto, "__version__", "?")
if not v.startswith("5."):
    print(f"has moto {v}, not 5.x")
    sys.exit(1)
print(v)
'
# Prints 1 when pip must be told --break-system-packages: an interpreter whose distribution marks it as
# externally managed (PEP 668; Debian 12 does), outside a virtual environment.
externally_managed='
import os, sys, sysconfig
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
print(int(sys.prefix == sys.base_prefix and os.path.isfile(marker)))
'

if ! command -v python3 >/dev/null 2>&1; then
  # Only reachable in a dry run (python3 is one of the packages above) or on a machine without dpkg's python3.
  if [ "$dry_run" -eq 1 ]; then
    say "moto: no python3 on PATH yet; would install '$moto_requirement' with pip once python3 is installed"
    exit 0
  fi
  say "moto: no python3 on PATH; cannot install '$moto_requirement'"
  exit 1
fi

python=$(python3 -c 'import sys; print(sys.executable)')
python_version=$(python3 -c 'import platform; print(platform.python_version())')
if found=$(python3 -c "$moto_check" 2>/dev/null); then
  say "moto $found with its server extra is importable by $python (Python $python_version): nothing to install"
  exit 0
fi
found=${found:-cannot run the check}
say "moto: $python (Python $python_version) $found"

pip_cmd=(python3 -m pip install --disable-pip-version-check --quiet)
why_flag=""
if [ "$(python3 -c "$externally_managed")" = 1 ]; then
  pip_cmd+=(--break-system-packages)
  why_flag=" (--break-system-packages: this python3 is marked externally managed; pip installs for the user when the system's site-packages is not writable)"
fi
pip_cmd+=("$moto_requirement")
shown="${pip_cmd[*]:0:${#pip_cmd[@]}-1} '$moto_requirement'"  # the command as one would type it

if ! python3 -m pip --version >/dev/null 2>&1; then
  if [ "$dry_run" -eq 1 ]; then
    say "moto: would run $shown, but this python3 has no pip"
    exit 0
  fi
  say "moto: this python3 has no pip. Install pip for it (Debian's /usr/bin/python3: apt-get install python3-pip)," \
    "or put a python3 that has '$moto_requirement' first on PATH"
  exit 1
fi

if [ "$dry_run" -eq 1 ]; then
  say "moto: would run $shown$why_flag"
  exit 0
fi

say "moto: running $shown$why_flag"
if ! PIP_ROOT_USER_ACTION=ignore "${pip_cmd[@]}"; then
  say "moto: pip failed (its message is above); the integration tests cannot run without moto"
  exit 1
fi
if ! found=$(python3 -c "$moto_check" 2>&1); then
  say "moto: installed, but $python still $found"
  exit 1
fi
say "moto: installed moto $found with its server extra into $python"
