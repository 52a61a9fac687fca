#!/usr/bin/env python3
"""Checks `ohfp serve`'s dashboard in a real browser: headless Chromium (Debian's `chromium`), driven over the
DevTools protocol on a pipe (--remote-debugging-pipe: no port, no websocket, nothing but the standard library).

    dashboard_check.py --url http://127.0.0.1:PORT/ --expect expect.json --token-file TOKEN \
                       --screenshot before.png --screenshot-after after.png [--force-open aws_ec2]

1. Loads the page and waits for its first render from /api/v1/overview; reads the rendered DOM (breaker rows and
   their states, request ids, the summary counts) and compares it with --expect (what the test read from the
   store): {"breakers": {"aws_ec2": "closed"}, "requests": ["req-..."], "counts": {"count-acquire-running": 0}}.
   Saves a screenshot.
2. Forces the --force-open service's breaker open through the API (POST with the bearer token), then waits, without
   reloading, until the page shows it open; checks that the page is the same one (its random id) and that it
   rendered again. Saves the second screenshot.
Prints what it saw as JSON; exits 0 when every check passed, 1 otherwise (each failure on stderr), 2 when Chromium
cannot be started.
"""
import argparse
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

READ_DOM = r"""(() => {
  const b = document.body;
  const rows = [...document.querySelectorAll('#breakers tbody tr')];
  const counts = {};
  for (const e of document.querySelectorAll('#summary .value')) counts[e.id] = Number(e.textContent);
  return JSON.stringify({
    page_id: b.dataset.pageId || '', renders: Number(b.dataset.renders || 0),
    status: (document.getElementById('status') || {}).textContent || '',
    breakers: Object.fromEntries(rows.map(r => [r.dataset.service, r.querySelector('.breaker-state').textContent])),
    requests: [...document.querySelectorAll('#requests tbody tr')].map(r => r.dataset.requestId),
    machines: [...document.querySelectorAll('#machines tbody tr')].map(r => r.dataset.instanceId),
    counts,
    charts: document.querySelectorAll('.uplot').length,
    events: document.querySelectorAll('#events li').length,
  });
})()"""


class Browser:
    """Chromium with the DevTools protocol on fds 3 (commands in) and 4 (answers and events out)."""

    def __init__(self, binary, width, height):
        self.profile = tempfile.mkdtemp(prefix="ohfp-chromium.")
        # Every pipe end above 4 (close-on-exec), so that the child can put two of them at 3 and 4.
        high = lambda fd: (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10), os.close(fd))[0]  # noqa: E731
        to_browser_r, self.to_browser = (high(fd) for fd in os.pipe())
        self.from_browser, from_browser_w = (high(fd) for fd in os.pipe())

        def wire():
            os.dup2(to_browser_r, 3)  # dup2 leaves 3 and 4 open across exec
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--disable-dev-shm-usage", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, f"--window-size={width},{height}", "about:blank"],
            close_fds=False, preexec_fn=wire,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
        raise RuntimeError(f"{method}: no answer in {timeout} s")

    def attach(self):
        for _ in range(50):
            pages = [t for t in self.send("Target.getTargets", session=False)["targetInfos"] if t["type"] == "page"]
            if pages:
                self.session = self.send("Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True},
                                         session=False)["sessionId"]
                return
            time.sleep(0.1)
        raise RuntimeError("chromium opened no page")

    def evaluate(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return r.get("result", {}).get("value")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway; the kill below is the fallback
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.to_browser, self.from_browser):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


def wait_for(browser, check, timeout):
    """Reads the DOM until check(dom) is true; returns the last DOM read."""
    deadline = time.monotonic() + timeout
    dom = {}
    while time.monotonic() < deadline:
        text = browser.evaluate(READ_DOM)
        dom = json.loads(text) if text else {}
        if dom and check(dom):
            return dom
        time.sleep(0.2)
    return dom


def compare(dom, expect, failures):
    for service, state in expect.get("breakers", {}).items():
        if dom["breakers"].get(service) != state:
            failures.append(f"breaker {service}: the page shows {dom['breakers'].get(service)!r}, the store {state!r}")
    if set(dom["breakers"]) != set(expect.get("breakers", dom["breakers"])):
        failures.append(f"breakers shown {sorted(dom['breakers'])}, in the store {sorted(expect['breakers'])}")
    if "requests" in expect and dom["requests"] != expect["requests"]:
        failures.append(f"requests shown {dom['requests']}, in the store (newest first) {expect['requests']}")
    for key, value in expect.get("counts", {}).items():
        if dom["counts"].get(key) != value:
            failures.append(f"{key}: the page shows {dom['counts'].get(key)}, the store {value}")
    if dom["charts"] < 2:
        failures.append(f"{dom['charts']} chart(s) drawn, expected 2")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--screenshot", required=True)
    p.add_argument("--screenshot-after", required=True)
    p.add_argument("--force-open", default="aws_ec2")
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    with open(a.expect) as f:
        expect = json.load(f)
    if not os.path.exists(a.chromium):
        print(f"dashboard_check: no chromium at {a.chromium} (scripts/install-deps.sh installs it)", file=sys.stderr)
        return 2
    failures = []
    browser = Browser(a.chromium, 1400, 2000)
    try:
        browser.attach()
        browser.send("Page.enable")
        browser.send("Page.navigate", {"url": a.url})
        first = wait_for(browser, lambda d: d["renders"] >= 1 and d["charts"] >= 2, a.timeout)
        if not first or first.get("renders", 0) < 1:
            print(f"dashboard_check: the page never rendered: {first}", file=sys.stderr)
            return 1
        compare(first, expect, failures)
        browser.screenshot(a.screenshot)

        with open(a.token_file) as f:
            token = f.read().strip()
        post = urllib.request.Request(a.url.rstrip("/") + f"/api/v1/breakers/{a.force_open}/force-open", data=b"",
                                      method="POST", headers={"Authorization": "Bearer " + token})
        urllib.request.urlopen(post, timeout=10).read()
        after = wait_for(browser, lambda d: d["breakers"].get(a.force_open) == "open", a.timeout)
        if after.get("breakers", {}).get(a.force_open) != "open":
            failures.append(f"after force-open, the page still shows {a.force_open} as "
                            f"{after.get('breakers', {}).get(a.force_open)!r}")
        if after.get("page_id") != first["page_id"]:
            failures.append("the page was reloaded (its id changed); it should update itself")
        if after.get("renders", 0) <= first["renders"]:
            failures.append("the page did not render again")
        browser.screenshot(a.screenshot_after)
        print(json.dumps({"first": first, "after": after, "failures": failures}, indent=2))
    finally:
        browser.close()
    for f in failures:
        print("dashboard_check: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
