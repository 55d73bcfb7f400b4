// DataFog demo: four scenarios against /demo/*, decided by the shipped config/policy.json.
// Values from the server are put in the page with textContent only.
"use strict";

const TOKEN_KEY = "datafog-console-token";
const $ = (id) => document.getElementById(id);

// The payloads are made-up test values (a Stripe-format test key, an example.com address, a
// 555 phone number, a made-up AWS-format key id).
const SCENARIOS = [
  {
    id: "leak",
    title: "A command leaking an API key",
    expect: "deny (rule deny-command-secrets): the command never runs",
    route: "/demo/exec",
    body: { command: "curl", args: ["-H", "Authorization: Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc", "https://api.example.com/v1/charges"] },
    text: (b) => [b.command, ...b.args].join(" "),
  },
  {
    id: "pii-write",
    title: "A file write with personal data",
    expect: "allow_with_redaction (rule redact-outbound-sensitive): the file gets the redacted text",
    route: "/demo/write-file",
    body: { filename: "customers.md", content: "Customer: Jane Roe, jane.roe@example.com, 415-555-0100\n" },
    text: (b) => b.content,
  },
  {
    id: "clean",
    title: "A clean command",
    expect: "allow (rule allow-commands): the command runs in the sandbox",
    route: "/demo/exec",
    body: { command: "echo", args: ["hello from the sandbox"] },
    text: (b) => [b.command, ...b.args].join(" "),
  },
  {
    id: "env-read",
    // Named app.env, not .env: the starter policy denies reading `.env*` by path whatever the
    // content (rule deny-sensitive-files); this scenario shows content-based redaction.
    title: "Reading a seeded env file (app.env)",
    expect: "allow_with_redaction (rule redact-read-secrets): secrets come back redacted",
    seed: { filename: "app.env", content: "AWS_ACCESS_KEY_ID=AKIAZ7VQ2MXK4P3RLT5W\nGITHUB_TOKEN=ghp_R8mZ2xQ4vN7kP1sT9wY3bC6dF0gH5jL2aE4u\nLOG_LEVEL=info\n" },
    route: "/demo/read-file",
    body: { filename: "app.env" },
    text: (_b, s) => s.seed.content,
  },
];

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

async function post(path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY) || "";
  const resp = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
    body: JSON.stringify(body),
  });
  const data = await resp.json();
  if (resp.status === 401) throw new Error("The token was refused (401 unauthorized): enter the server's DATAFOG_API_TOKEN above.");
  if (!resp.ok) throw new Error(data.error ? data.error.code + ": " + data.error.message : "HTTP " + resp.status);
  return data;
}

// Byte offsets (the API's unit) to string slices.
function highlight(text, findings) {
  const bytes = new TextEncoder().encode(text);
  const dec = new TextDecoder();
  const out = el("pre", { class: "text" });
  let at = 0;
  for (const f of [...findings].sort((a, b) => a.start - b.start)) {
    if (f.start < at || f.end > bytes.length) continue;
    out.append(dec.decode(bytes.slice(at, f.start)));
    out.append(el("mark", { title: f.entity_type }, dec.decode(bytes.slice(f.start, f.end)), el("span", { class: "tag", text: f.entity_type })));
    at = f.end;
  }
  out.append(dec.decode(bytes.slice(at)));
  return out;
}

async function run(s) {
  $("result-error").textContent = "";
  try {
    if (s.seed) await post("/demo/seed", s.seed);
    const r = await post(s.route, s.body);
    const d = r.decision;
    $("result-empty").classList.add("hidden");
    $("result").classList.remove("hidden");
    $("result").dataset.scenario = s.id;
    $("r-scenario").textContent = s.title;
    clear($("r-decision")).append(el("span", { class: "badge " + d.decision, text: d.decision, id: "r-effect" }));
    $("r-rules").textContent = (d.matched_rules || []).join(", ") || "none";
    $("r-reason").textContent = d.reason || "";
    $("r-outcome").textContent = r.blocked ? "blocked: " + (r.error || "") : (r.written ? "written to " + r.path : "done") + ` in ${r.timing_ms} ms`;
    const link = el("a", { href: "/admin#receipt=" + d.receipt_id, id: "r-receipt-link", text: d.receipt_id });
    clear($("r-receipt")).append(link);
    clear($("r-input")).append(highlight(s.text(s.body, s), r.findings || []));
    const output = r.content !== undefined ? r.content : (r.stdout || "") + (r.stderr || "");
    $("r-output").textContent = output || (r.blocked ? "(nothing: the action was blocked)" : "(empty)");
    $("result").focus();
  } catch (err) {
    $("result-error").textContent = String(err.message || err);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved !== null) $("token-status").textContent = "A token is saved for this tab.";
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    $("token-status").textContent = "Token saved for this tab.";
  });
  const box = $("scenarios");
  for (const s of SCENARIOS) {
    const b = el("button", { type: "button", class: "primary", id: "run-" + s.id, text: "Run" });
    b.addEventListener("click", () => run(s));
    box.append(el("div", { class: "card scenario" }, el("h3", { text: s.title }), el("div", { class: "expect", text: "Expected: " + s.expect }), el("pre", { class: "text", text: JSON.stringify(s.seed ? { seed: s.seed, read: s.body } : s.body, null, 1) }), b));
  }
});
