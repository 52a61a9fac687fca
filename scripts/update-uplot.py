#!/usr/bin/env python3
"""Refreshes uPlot, the charting library of `ohfp serve`'s dashboard, in plugin/src/serve/web/vendor/uplot/ from npm:
its script (dist/uPlot.iife.min.js), its style sheet (dist/uPlot.min.css) and its LICENSE, at the version
web/package-lock.json pins. The copy is committed, so a build needs neither npm nor a network: the build bundles
web/ (index.html, dashboard.js, dashboard.css and this copy) into the binary (plugin/src/serve/bundle_dashboard.cmake).
Run this after changing uPlot's version in web/package.json (and `npm install` there, which updates the lock).

    scripts/update-uplot.py            install uPlot with `npm ci` when web/node_modules lacks the pinned version, then
                                       copy its files into web/vendor/uplot/
    scripts/update-uplot.py --check    fail when web/vendor/uplot/ is not the version package-lock.json pins: always by
                                       the version its script names (no npm needed); byte for byte too when
                                       web/node_modules holds the pinned version
"""
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
WEB = os.path.join(ROOT, "plugin", "src", "serve", "web")
VENDOR = os.path.join(WEB, "vendor", "uplot")
UPLOT = os.path.join(WEB, "node_modules", "uplot")
# What the dashboard takes from the npm package: its path in the package -> its name in web/vendor/uplot/.
FILES = {os.path.join("dist", "uPlot.iife.min.js"): "uPlot.iife.min.js",
         os.path.join("dist", "uPlot.min.css"): "uPlot.min.css",
         "LICENSE": "LICENSE"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def pinned_version():
    return json.loads(read(os.path.join(WEB, "package-lock.json")))["packages"]["node_modules/uplot"]["version"]


def installed_version():
    package = os.path.join(UPLOT, "package.json")
    return json.loads(read(package))["version"] if os.path.exists(package) else None


def vendored_version():
    """The version uPlot's script names in its first line: /*! https://github.com/leeoniya/uPlot (v1.6.32) */"""
    found = re.search(r"uPlot \(v([0-9.]+)\)", read(os.path.join(VENDOR, "uPlot.iife.min.js")).split("\n", 1)[0])
    return found.group(1) if found else None


def check():
    want, have = pinned_version(), vendored_version()
    if have != want:
        print(f"update-uplot: web/vendor/uplot holds uPlot {have}, package-lock.json pins {want}: run "
              "scripts/update-uplot.py and commit the result", file=sys.stderr)
        return 1
    if installed_version() != want:
        print(f"update-uplot: web/vendor/uplot holds uPlot {want}, the version package-lock.json pins (by its name; "
              "no web/node_modules of that version for bytes)")
        return 0
    for source, name in FILES.items():
        if read(os.path.join(UPLOT, source)) != read(os.path.join(VENDOR, name)):
            print(f"update-uplot: web/vendor/uplot/{name} differs from npm's uPlot {want}: run scripts/update-uplot.py",
                  file=sys.stderr)
            return 1
    print(f"update-uplot: web/vendor/uplot holds uPlot {want}, the version package-lock.json pins (name and bytes)")
    return 0


def main():
    if sys.argv[1:] == ["--check"]:
        return check()
    if sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    want = pinned_version()
    if installed_version() != want:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    if installed_version() != want:
        sys.exit(f"update-uplot: npm ci installed uPlot {installed_version()}, package-lock.json pins {want}")
    os.makedirs(VENDOR, exist_ok=True)
    for source, name in FILES.items():
        shutil.copyfile(os.path.join(UPLOT, source), os.path.join(VENDOR, name))
    print(f"update-uplot: copied uPlot {want} into {os.path.relpath(VENDOR, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
