// DataFog admin console: read-only views over /admin/api/*, /v1/events, /health and /metrics.
// The token lives in sessionStorage and travels only in the Authorization header. Every value
// from the server is put in the page with textContent (never parsed as HTML).
"use strict";

const TOKEN_KEY = "datafog-console-token";
const EFFECTS = ["allow", "allow_with_redaction", "transform", "deny"];
const COLORS = { allow: "#1b7f3b", allow_with_redaction: "#9a6200", transform: "#6b3fa0", deny: "#b3261e" };

const $ = (id) => document.getElementById(id);

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
  }
  for (const k of kids) if (k != null) e.append(k instanceof Node ? k : String(k));
  return e;
}

function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

function badge(effect) { return el("span", { class: "badge " + effect, text: effect }); }

class Unauthorized extends Error {}

async function api(path, options) {
  const token = sessionStorage.getItem(TOKEN_KEY) || "";
  const opts = Object.assign({ headers: {} }, options || {});
  opts.headers = Object.assign({ Authorization: "Bearer " + token }, opts.headers);
  const resp = await fetch(path, opts);
  const type = resp.headers.get("content-type") || "";
  const body = type.includes("json") ? await resp.json() : await resp.text();
  if (resp.status === 401) throw new Unauthorized("The token was refused (401 unauthorized): check DATAFOG_API_TOKEN and sign in again.");
  if (!resp.ok) {
    const m = body && body.error ? body.error.code + ": " + body.error.message : "HTTP " + resp.status;
    throw new Error(m);
  }
  return body;
}

function fail(err) {
  if (err instanceof Unauthorized) { signOut(err.message); return; }
  $("app-error").textContent = String(err.message || err);
}

// ---------------------------------------------------------------- sign in

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await api("/admin/api/policy");
  } catch (err) {
    const msg = err instanceof Unauthorized ? err.message : "Could not reach the server: " + (err.message || err);
    signOut(msg);
    return;
  }
  $("login").classList.add("hidden");
  $("app").classList.remove("hidden");
  $("nav").classList.remove("hidden");
  $("login-error").textContent = "";
  const m = /^#receipt=([0-9a-f]{1,64})$/.exec(location.hash);
  if (m) { show("receipts"); await loadReceipts(null); await openReceipt(m[1]); }
  else show("overview");
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").classList.add("hidden");
  $("nav").classList.add("hidden");
  $("login").classList.remove("hidden");
  $("login-error").textContent = message || "";
  $("token").value = "";
  $("token").focus();
}

// ---------------------------------------------------------------- navigation

const loaders = {
  overview: () => loadStats(),
  receipts: () => loadReceipts(null),
  policy: () => loadPolicy(),
  events: () => loadEvents(),
  health: () => loadHealth(),
};

function show(view) {
  for (const b of document.querySelectorAll("nav button[data-view]")) {
    if (b.dataset.view === view) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  for (const v of Object.keys(loaders)) $("view-" + v).classList.toggle("hidden", v !== view);
  $("app-error").textContent = "";
  return loaders[view]().catch(fail);
}

// ---------------------------------------------------------------- decisions over time

function topTable(table, rows, head) {
  clear(table);
  table.append(el("thead", null, el("tr", null, el("th", { text: head }), el("th", { text: "count" }))));
  const tb = el("tbody");
  if (!rows.length) tb.append(el("tr", null, el("td", { colspan: "2", class: "muted", text: "none" })));
  for (const r of rows) tb.append(el("tr", null, el("td", { class: "mono", text: r.name }), el("td", { text: r.count })));
  table.append(tb);
}

function drawChart(series) {
  const svg = $("chart");
  clear(svg);
  const NS = "http://www.w3.org/2000/svg";
  const W = 1000, H = 220, pad = 28;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const totals = series.map((p) => EFFECTS.reduce((a, e) => a + p[e], 0));
  const max = Math.max(1, ...totals);
  const bw = (W - pad) / Math.max(1, series.length);
  const mk = (tag, attrs) => { const n = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); return n; };
  svg.append(mk("line", { x1: pad, y1: H - pad, x2: W, y2: H - pad, stroke: "#aab2c0" }));
  const lbl = mk("text", { x: 2, y: 12, "font-size": "11", fill: "#5b6475" });
  lbl.textContent = String(max);
  svg.append(lbl);
  series.forEach((p, i) => {
    let y = H - pad;
    for (const e of EFFECTS) {
      if (!p[e]) continue;
      const h = (p[e] / max) * (H - 2 * pad);
      y -= h;
      const r = mk("rect", { x: pad + i * bw + 0.5, y, width: Math.max(1, bw - 1), height: h, fill: COLORS[e] });
      const t = document.createElementNS(NS, "title");
      t.textContent = `${p.start}: ${p[e]} ${e}`;
      r.append(t);
      svg.append(r);
    }
  });
  if (series.length) {
    const first = mk("text", { x: pad, y: H - 8, "font-size": "11", fill: "#5b6475" });
    first.textContent = new Date(series[0].start).toLocaleString();
    const last = mk("text", { x: W - 4, y: H - 8, "font-size": "11", fill: "#5b6475", "text-anchor": "end" });
    last.textContent = new Date(series[series.length - 1].start).toLocaleString();
    svg.append(first, last);
  }
}

async function loadStats() {
  const s = await api("/admin/api/stats?bucket=" + encodeURIComponent($("stats-bucket").value));
  $("stats-summary").textContent =
    `${s.total} decisions from ${new Date(s.after).toLocaleString()} to ${new Date(s.before).toLocaleString()}` +
    ` (${s.scanned} receipts read${s.complete ? "" : "; stopped at the time budget, counts are partial"}).`;
  const legend = clear($("legend"));
  for (const e of EFFECTS) legend.append(el("span", null, el("i", { class: "sw-" + e }), e));
  drawChart(s.series);
  topTable($("top-rules"), s.top_rules, "rule");
  topTable($("top-entities"), s.top_entity_types, "entity type");
  topTable($("top-actions"), s.top_action_types, "action type");
  topTable($("by-decision"), EFFECTS.map((e) => ({ name: e, count: s.by_decision[e] || 0 })), "decision");
}

// ---------------------------------------------------------------- receipts

let cursors = [];
let nextCursor = null;

function isoOf(input) {
  if (!input.value) return null;
  const d = new Date(input.value);
  return isNaN(d) ? null : d.toISOString();
}

function filterQuery() {
  const q = new URLSearchParams();
  const add = (k, v) => { if (v) q.set(k, v); };
  add("after", isoOf($("f-after")));
  add("before", isoOf($("f-before")));
  add("decision", $("f-decision").value);
  add("rule", $("f-rule").value.trim());
  add("action_type", $("f-action").value.trim());
  add("entity_type", $("f-entity").value.trim());
  add("actor", $("f-actor").value.trim());
  add("limit", "25");
  return q;
}

function entityTypes(r) {
  const t = new Set((r.findings || []).map((f) => f.entity_type));
  for (const k of Object.keys(r.finding_counts || {})) t.add(k);
  return [...t].join(", ");
}

async function loadReceipts(cursor) {
  const q = filterQuery();
  if (cursor) q.set("cursor", cursor);
  $("rc-status").textContent = "Loading…";
  const page = await api("/admin/api/receipts?" + q.toString());
  const tb = $("rc-table").querySelector("tbody");
  clear(tb);
  for (const r of page.receipts) {
    const open = el("button", { type: "button", class: "secondary mono", text: r.receipt_id.slice(0, 12) + "…", "aria-label": "Open receipt " + r.receipt_id, "data-receipt": r.receipt_id });
    open.addEventListener("click", () => openReceipt(r.receipt_id).catch(fail));
    tb.append(el("tr", null,
      el("td", { text: new Date(r.timestamp).toLocaleString() }),
      el("td", null, badge(r.decision)),
      el("td", { class: "mono", text: r.action.type }),
      el("td", { class: "mono hide-narrow", text: (r.matched_rules || []).join(", ") }),
      el("td", { class: "hide-narrow", text: entityTypes(r) }),
      el("td", null, open)));
  }
  if (!page.receipts.length) tb.append(el("tr", null, el("td", { colspan: "6", class: "muted", text: "No receipts match." })));
  nextCursor = page.next_cursor;
  $("rc-next").disabled = !nextCursor;
  $("rc-status").textContent = `${page.receipts.length} receipts shown (${page.scanned} read)` +
    (page.partial ? "; the scan stopped at its time budget: press Older to keep searching." : ".");
}

function kv(dl, k, v) { dl.append(el("dt", { text: k }), el("dd", { class: "mono", text: v })); }

async function openReceipt(id) {
  const d = await api("/admin/api/receipts/" + encodeURIComponent(id));
  const r = d.receipt;
  const box = $("detail");
  box.classList.remove("hidden");
  $("detail-title").textContent = "Receipt " + r.receipt_id;
  const dl = clear($("detail-kv"));
  kv(dl, "time", r.timestamp);
  dl.append(el("dt", { text: "decision" }), el("dd", null, badge(r.decision)));
  kv(dl, "matched rules", (r.matched_rules || []).join(", ") || "none");
  if (r.reason) kv(dl, "reason", r.reason);
  kv(dl, "action", JSON.stringify(r.action));
  kv(dl, "actor", r.actor_id || "");
  kv(dl, "policy", r.policy_id + " " + r.policy_version);
  kv(dl, "chain position", `line ${d.position.line} of ${d.position.segment === 0 ? "the current file" : "rotated segment -" + d.position.segment} (byte ${d.position.offset})`);
  kv(dl, "prev_hash", r.prev_hash);
  kv(dl, "hash", r.hash);
  const t = clear($("detail-findings"));
  t.append(el("thead", null, el("tr", null, ...["type", "start", "end", "confidence", "value digest"].map((h) => el("th", { text: h })))));
  const tb = el("tbody");
  for (const f of r.findings || []) {
    tb.append(el("tr", null, el("td", { class: "mono", text: f.entity_type }), el("td", { text: f.start }), el("td", { text: f.end }),
      el("td", { text: f.confidence }), el("td", { class: "mono", text: f.value_digest })));
  }
  for (const [k, n] of Object.entries(r.finding_counts || {})) tb.append(el("tr", null, el("td", { class: "mono", text: k }), el("td", { colspan: "4", text: n + " findings (counted only)" })));
  if (!tb.firstChild) tb.append(el("tr", null, el("td", { colspan: "5", class: "muted", text: "no findings" })));
  t.append(tb);
  $("verify-result").textContent = "";
  box.focus();
}

async function verifyChain() {
  const out = $("verify-result");
  out.className = "muted";
  out.textContent = "Verifying…";
  // The server verifies in the background and answers its progress until the verdict is ready.
  let v = await api("/admin/api/verify");
  while (v.state === "running") {
    out.textContent = `Verifying… ${v.checked} receipts checked so far.`;
    await new Promise((done) => setTimeout(done, 500));
    v = await api("/admin/api/verify");
  }
  if (v.ok) {
    out.className = "ok";
    out.textContent = `Chain intact: ${v.count} receipts, last hash ${v.last_hash}.`;
  } else {
    out.className = "error";
    out.textContent = `Chain broken at line ${v.broken_at_line}: ${v.error} (${v.count} receipts verified before it).`;
  }
}

// ---------------------------------------------------------------- policy and try it

function listText(v) { return Array.isArray(v) ? v.join(", ") : String(v); }

async function loadPolicy() {
  const p = await api("/admin/api/policy");
  $("po-identity").textContent = `${p.policy_id} ${p.policy_version} — ${p.description || ""} (rules in evaluation order: priority, then file order).`;
  const t = clear($("po-rules"));
  t.append(el("thead", null, el("tr", null, ...["priority", "rule", "effect", "matches", "entities", "transforms"].map((h) => el("th", { text: h })))));
  const tb = el("tbody");
  for (const r of p.rules) {
    const m = Object.entries(r.match).map(([k, v]) => k + ": " + listText(v)).join("; ");
    const ents = [];
    if (r.any_entities.length) ents.push("any of " + r.any_entities.join(", "));
    if (r.entity_requirements.length) ents.push("all of " + r.entity_requirements.join(", "));
    tb.append(el("tr", null, el("td", { text: r.priority }),
      el("td", null, el("div", { class: "mono", text: r.id }), el("div", { class: "muted", text: r.description })),
      el("td", null, badge(r.effect)), el("td", { class: "mono", text: m || "everything" }),
      el("td", { text: ents.join("; ") || "—" }),
      el("td", { class: "mono", text: r.entity_transforms.map(([e, mode]) => e + "→" + mode).join(", ") || "—" })));
  }
  t.append(tb);
}

// Byte offsets (the API's unit) to string slices.
function highlight(text, findings) {
  const bytes = new TextEncoder().encode(text);
  const dec = new TextDecoder();
  const out = el("pre", { class: "text" });
  const spans = [...findings].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const f of spans) {
    if (f.start < at || f.end > bytes.length) continue;
    out.append(dec.decode(bytes.slice(at, f.start)));
    out.append(el("mark", { title: f.entity_type }, dec.decode(bytes.slice(f.start, f.end)), el("span", { class: "tag", text: f.entity_type })));
    at = f.end;
  }
  out.append(dec.decode(bytes.slice(at)));
  return out;
}

async function tryIt() {
  const text = $("try-text").value;
  const req = { action: { type: $("try-type").value.trim() }, text };
  if ($("try-command").value.trim()) req.action.command = $("try-command").value.trim();
  if ($("try-resource").value.trim()) req.action.resource = $("try-resource").value.trim();
  const d = await api("/v1/decide?dry_run=true", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
  const box = clear($("try-result"));
  box.append(el("p", null, "Decision: ", badge(d.decision), " — rules: ", el("span", { class: "mono", id: "try-rules", text: (d.matched_rules || []).join(", ") || "none" })));
  box.append(el("p", { class: "muted", text: d.reason || "" }));
  box.append(el("p", { class: "muted", text: `${(d.findings || []).length} findings: ` + (d.findings || []).map((f) => `${f.entity_type} [${f.start}, ${f.end})`).join(", ") + " (dry run: no receipt written)" }));
  if (text) box.append(highlight(text, d.findings || []));
}

// ---------------------------------------------------------------- events and health

async function loadEvents() {
  const e = await api("/v1/events?limit=100");
  $("ev-status").textContent = `${e.total} events (newest first).`;
  const t = clear($("ev-table"));
  t.append(el("thead", null, el("tr", null, ...["time", "decision", "action", "tool", "rules", "receipt"].map((h) => el("th", { text: h })))));
  const tb = el("tbody");
  for (const ev of e.events) {
    tb.append(el("tr", null, el("td", { text: new Date(ev.timestamp).toLocaleString() }), el("td", null, badge(ev.decision)),
      el("td", { class: "mono", text: ev.action_type || "" }), el("td", { class: "mono", text: ev.tool || "" }),
      el("td", { class: "mono", text: (ev.matched_rules || []).join(", ") }), el("td", { class: "mono", text: ev.receipt_id || "" })));
  }
  if (!e.events.length) tb.append(el("tr", null, el("td", { colspan: "6", class: "muted", text: "No events (is DATAFOG_EVENTS_PATH set?)." })));
  t.append(tb);
}

function promValue(text, name) {
  for (const line of text.split("\n")) {
    if (line.startsWith(name + " ")) return Number(line.slice(name.length + 1));
  }
  return NaN;
}

function card(title, value, note) {
  return el("div", { class: "card" }, el("div", { class: "muted", text: title }), el("div", { class: "stat", text: value }), el("div", { class: "muted", text: note || "" }));
}

async function loadHealth() {
  const [h, m, prom] = await Promise.all([api("/health"), api("/metrics?format=json"), api("/metrics")]);
  const traps = promValue(prom, "datafog_guest_traps_total");
  const fsyncTotal = promValue(prom, "datafog_receipt_fsync_seconds_total");
  const batches = promValue(prom, "datafog_receipt_batches_total");
  const fsyncMax = promValue(prom, "datafog_receipt_fsync_seconds_max");
  const c = clear($("he-cards"));
  c.append(card("status", h.status, `${h.policy_id} ${h.policy_version}`));
  c.append(card("uptime", Math.round(m.uptime_seconds) + " s", "since " + m.started_at));
  c.append(card("requests / s", (m.total_requests / Math.max(1, m.uptime_seconds)).toFixed(2), `${m.total_requests} requests, ${m.error_requests} errors`));
  c.append(card("guest traps", isNaN(traps) ? "—" : String(traps), "policy engine instances dropped"));
  c.append(card("fsync latency (mean)", batches > 0 ? (1000 * fsyncTotal / batches).toFixed(2) + " ms" : "—", isNaN(fsyncMax) ? "" : "max " + (1000 * fsyncMax).toFixed(2) + " ms"));
  c.append(card("avg request latency", m.avg_latency_ms.toFixed(2) + " ms", ""));
}

// ---------------------------------------------------------------- wiring

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (ev) => { ev.preventDefault(); signIn($("token").value); });
  $("logout").addEventListener("click", () => signOut("Signed out."));
  for (const b of document.querySelectorAll("nav button[data-view]")) b.addEventListener("click", () => show(b.dataset.view));
  $("stats-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadStats().catch(fail); });
  $("filter-form").addEventListener("submit", (ev) => { ev.preventDefault(); cursors = []; loadReceipts(null).catch(fail); });
  $("filter-clear").addEventListener("click", () => { $("filter-form").reset(); cursors = []; loadReceipts(null).catch(fail); });
  $("rc-first").addEventListener("click", () => { cursors = []; loadReceipts(null).catch(fail); });
  $("rc-next").addEventListener("click", () => { if (nextCursor) { cursors.push(nextCursor); loadReceipts(nextCursor).catch(fail); } });
  $("verify").addEventListener("click", () => verifyChain().catch(fail));
  $("try-form").addEventListener("submit", (ev) => { ev.preventDefault(); tryIt().catch(fail); });
  $("ev-refresh").addEventListener("click", () => loadEvents().catch(fail));
  $("he-refresh").addEventListener("click", () => loadHealth().catch(fail));
  // A receipt link (`/admin#receipt=<id>`) followed while the console is open.
  window.addEventListener("hashchange", () => {
    const m = /^#receipt=([0-9a-f]{1,64})$/.exec(location.hash);
    if (m && sessionStorage.getItem(TOKEN_KEY) !== null) show("receipts").then(() => openReceipt(m[1])).catch(fail);
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved !== null) signIn(saved);
  else $("token").focus();
});
