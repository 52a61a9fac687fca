#!/usr/bin/env python3
"""Checks that every plugin layer includes only the layers below it (docs/architecture.md, "Layers the build
enforces"). Reads each `#include "<dir>/..."` in plugin/src/<layer>/ and fails, naming the file and line, when <dir>
is a plugin layer that <layer> may not use, or when an include climbs out with "../".

    scripts/check-layers.py [--self-test]
"""
import os
import re
import sys

# Each layer and the plugin layers it may include (itself always).
ALLOWED = {
    "base": set(),
    "model": set(),
    "logging": {"base"},
    "aws": {"base"},
    "config": {"model", "aws", "base"},
    "store": {"model", "base"},
    "provider": {"model", "aws", "base"},
    "hostfactory": {"model", "provider", "store", "logging", "base"},
    "app": {"hostfactory", "provider", "aws", "store", "logging", "config", "model", "base"},
    "simulator": {"config", "aws", "base"},
    "serve": {"app", "hostfactory", "provider", "aws", "store", "logging", "config", "model", "base"},
    "cli": {"app", "hostfactory", "provider", "aws", "store", "logging", "config", "model", "base",
            "simulator", "serve"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def problems_in(root):
    found = []
    for layer in sorted(ALLOWED):
        top = os.path.join(root, layer)
        for dirpath, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = m.group(1)
                        if target.startswith("../") or "/../" in target:
                            found.append(f"{path}:{number}: climbs out of its layer: {line.strip()}")
                            continue
                        first = target.split("/", 1)[0]
                        if first in ALLOWED and first != layer and first not in ALLOWED[layer]:
                            found.append(f"{path}:{number}: layer '{layer}' may not include '{first}' "
                                         f"(allowed: {', '.join(sorted(ALLOWED[layer])) or 'none'}): "
                                         f"{line.strip()}")
    return found


def self_test():
    """The check must catch a planted violation, or it proves nothing."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "model"))
        with open(os.path.join(tmp, "model", "x.h"), "w") as f:
            f.write('#include "hostfactory/service.h"\n#include "model/y.h"\n')
        os.makedirs(os.path.join(tmp, "hostfactory"))
        with open(os.path.join(tmp, "hostfactory", "z.cc"), "w") as f:
            f.write('#include "model/x.h"\n#include "../app/a.h"\n')
        found = problems_in(tmp)
        return (len(found) == 2 and any("may not include 'hostfactory'" in p for p in found) and
                any("climbs out" in p for p in found))


def main():
    if not self_test():
        print("check-layers: the self-test did not catch a planted violation", file=sys.stderr)
        return 3
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plugin", "src")
    found = problems_in(os.path.normpath(root))
    for p in found:
        print(p, file=sys.stderr)
    if found:
        print(f"check-layers: {len(found)} include(s) against the layers", file=sys.stderr)
        return 1
    print("check-layers: every include follows the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
