// The dashboard of `ohfp serve`: polls /api/v1/overview every two seconds and re-renders itself
// from it (no reload). Every value is set with textContent, never as HTML. Actions (breakers,
// reconcile) send the bearer token typed into the header, kept in this tab's sessionStorage only.
(function () {
  "use strict";
  const POLL_MS = 2000;
  const page = { renders: 0, charts: {}, id: Math.random().toString(36).slice(2) };
  document.body.dataset.pageId = page.id;

  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    return e;
  }
  const time = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "");
  const badge = (value) => el("span", { class: "state state-" + value, "data-value": value }, value);
  function rows(tbody, items, render) {
    tbody.replaceChildren(...items.map(render));
  }

  function token() { return sessionStorage.getItem("ohfp-token") || ""; }
  async function act(path) {
    const r = await fetch(path, { method: "POST", headers: { Authorization: "Bearer " + token() } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
    return body;
  }

  function renderSummary(c) {
    const cards = [
      ["count-acquire-running", c.acquire.running, "acquire requests running"],
      ["count-acquire-complete", c.acquire.complete, "acquire requests complete"],
      ["count-acquire-complete_with_error", c.acquire.complete_with_error, "acquire requests with error"],
      ["count-return-running", c["return"].running, "return requests running"],
      ["count-machines-succeed", c.machines.succeed, "machines delivered"],
      ["count-machines-executing", c.machines.executing, "machines starting"],
      ["count-machines-fail", c.machines.fail, "machines failed"],
    ];
    $("summary").replaceChildren(...cards.map(([id, v, label]) =>
      el("div", { class: "card" }, el("div", { class: "value", id }, v), el("div", { class: "label" }, label))));
  }

  function renderBreakers(breakers) {
    $("breakers-empty").hidden = breakers.length > 0;
    const enabled = token() !== "";
    rows($("breakers").tBodies[0], breakers, (b) => {
      const button = (action, label) => el("button", {
        type: "button", disabled: !enabled, "data-action": action,
        onclick: () => act("/api/v1/breakers/" + encodeURIComponent(b.service) + "/" + action)
          .then(poll).catch((e) => alert(b.service + " " + action + ": " + e.message)),
      }, label);
      return el("tr", { "data-service": b.service, "data-state": b.state },
        el("td", {}, b.service), el("td", { class: "breaker-state" }, badge(b.state)),
        el("td", {}, b.override === "none" ? "" : b.override),
        el("td", {}, b.failure_count + " / " + b.failure_threshold), el("td", {}, b.transitions),
        el("td", {}, time(b.last_transition)), el("td", {}, time(b.next_half_open_time)),
        el("td", {}, button("force-open", "force open"), button("force-closed", "force closed"),
          button("reset", "reset")));
    });
  }

  function renderRequests(requests) {
    rows($("requests").tBodies[0], requests, (r) =>
      el("tr", { "data-request-id": r.id, "data-state": r.state },
        el("td", {}, r.id), el("td", {}, r.kind), el("td", {}, badge(r.state)), el("td", {}, r.template_id),
        el("td", {}, r.machine_count), el("td", {}, r.provider_api), el("td", {}, time(r.created_at)),
        el("td", { class: "message" }, r.message)));
  }

  function renderMachines(machines) {
    rows($("machines").tBodies[0], machines, (m) =>
      el("tr", { "data-instance-id": m.instance_id },
        el("td", {}, m.instance_id), el("td", {}, m.request_id), el("td", {}, m.template_id),
        el("td", {}, m.state), el("td", {}, badge(m.result)), el("td", {}, m.name), el("td", {}, m.private_ip),
        el("td", {}, time(m.created_at))));
  }

  function renderQuota(quota) {
    rows($("quota").tBodies[0], quota, (q) =>
      el("tr", { "data-service": q.service }, el("td", {}, q.service), el("td", {}, q.tokens),
        el("td", {}, q.max_tokens), el("td", {}, q.enabled ? "yes" : "no")));
  }

  function describe(e) {
    const detail = e.kind === "breaker" ? e.service + ": " + e.from + " → " + e.to : e.message;
    return el("li", { "data-kind": e.kind }, el("time", {}, time(e.time)), el("span", { class: "kind" }, e.kind), detail);
  }
  function renderEvents(events) {
    $("events").replaceChildren(...events.slice(0, 50).map(describe));
    $("history").replaceChildren(...events.filter((e) => e.kind === "breaker" || e.kind === "operator").map(describe));
  }

  function chart(id, series) {
    const box = $(id);
    const opts = {
      width: Math.max(300, box.clientWidth), height: 200,
      scales: { x: { time: true } }, legend: { live: false },
      series: [{}].concat(series.map(([label, stroke]) => ({ label, stroke, width: 2 }))),
      axes: [{}, { size: 40 }],
    };
    return new uPlot(opts, [[]].concat(series.map(() => [])), box);
  }
  function renderCharts(timeline) {
    if (typeof uPlot === "undefined") return;
    if (!page.charts.calls) {
      page.charts.calls = chart("chart-calls", [["AWS calls", "#0969da"], ["commands", "#8250df"]]);
      page.charts.faults = chart("chart-faults", [["errors", "#cf222e"], ["throttles", "#bf8700"],
        ["retries", "#1a7f37"], ["rejections", "#57606a"]]);
    }
    const x = timeline.map((m) => Date.parse(m.time) / 1000);
    const col = (k) => timeline.map((m) => m[k]);
    page.charts.calls.setData([x, col("aws_calls"), col("commands")]);
    page.charts.faults.setData([x, col("errors"), col("throttles"), col("retries"), col("rejections")]);
  }

  function render(o) {
    $("installation").textContent = o.installation ? "installation " + o.installation : "";
    renderSummary(o.counts);
    renderBreakers(o.breakers);
    renderRequests(o.requests);
    renderMachines(o.machines);
    renderQuota(o.quota);
    renderEvents(o.events);
    renderCharts(o.timeline);
    page.renders += 1;
    document.body.dataset.renders = String(page.renders);
    document.body.dataset.generatedAt = o.generated_at;
  }

  let timer = null;
  async function poll() {
    clearTimeout(timer);
    const status = $("status");
    try {
      const r = await fetch("/api/v1/overview", { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      render(await r.json());
      status.dataset.state = "live";
      status.textContent = "live, updated " + new Date().toLocaleTimeString();
    } catch (e) {
      status.dataset.state = "error";
      status.textContent = "cannot reach ohfp serve: " + e.message;
    }
    timer = setTimeout(poll, POLL_MS);
  }

  function report(path) {
    $("reconcile-report").textContent = "running…";
    act(path).then((r) => { $("reconcile-report").textContent = JSON.stringify(r, null, 2); poll(); })
      .catch((e) => { $("reconcile-report").textContent = e.message; });
  }
  $("token").value = token();
  $("token").addEventListener("change", (e) => { sessionStorage.setItem("ohfp-token", e.target.value.trim()); poll(); });
  $("reconcile-dry-run").addEventListener("click", () => report("/api/v1/reconcile/dry-run"));
  $("reconcile").addEventListener("click", () => {
    if (confirm("Terminate what the sweep finds abandoned, reclaim and clean up now?")) report("/api/v1/reconcile");
  });
  poll();
})();
