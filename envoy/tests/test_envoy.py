#!/usr/bin/env python3
"""The DataFog proxy-wasm filter in a real Envoy (runtime envoy.wasm.runtime.v8), in front of a
test-owned upstream on loopback. Run by scripts/test-envoy:

    python3 envoy/tests/test_envoy.py ENVOY_BINARY FILTER_WASM [--bench]

Checks: allow, redact (body rewritten, content-length fixed), deny (403 + envelope), scanned
header, chunked request bodies with an entity split across chunks (redacted, and a secret denied
before any of it reaches the upstream), a body past the cap (413), response bodies with PII
(buffered and chunked), a chunked response leaking a secret (stream stopped), the counters, and a
malformed configuration (Envoy logs the clear line and does not serve).
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMAIL = "jane.doe@example.com"
SECRET = "AKIAQWERTY23ZXCV45BN"  # an AWS access key id shape (not AWS's documentation example)
BODY_CAP = 65536

POLICY = {
    "policy_id": "envoy-test",
    "policy_version": "v1",
    "rules": [
        {"id": "deny-secrets", "description": "Deny HTTP traffic that carries a secret",
         "priority": 100, "effect": "deny",
         "match": {"action_types": ["http.request", "http.response"]}, "any_entities": ["secret"]},
        {"id": "redact-sensitive", "priority": 50, "effect": "allow_with_redaction",
         "match": {"action_types": ["http.request", "http.response"]}, "any_entities": ["any"]},
        {"id": "allow-http", "priority": 10, "effect": "allow",
         "match": {"action_types": ["http.request", "http.response"]}},
    ],
}

CONFIG = {
    "mode": "enforce",
    "directions": ["request", "response"],
    "body_cap": BODY_CAP,
    "scan_headers": ["x-agent-note"],
    # A small window so that chunked bodies are decided and forwarded chunk by chunk in the test.
    "window": {"look_behind": 512, "look_ahead": 512, "step": 512},
    "policy": POLICY,
}

# What the upstream last received (the test reads it after each request).
RECEIVED = {}
PAD = "lorem ipsum dolor sit amet " * 40  # ~1 KB of harmless text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle plus delayed ACKs add
    # ~40 ms to every request and the latency numbers would measure that.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n)

    def send(self, body, ctype="text/plain"):
        self.send_response(200)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_chunked(self, chunks):
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for c in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
            self.wfile.flush()
            time.sleep(0.05)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_POST(self):
        body = self.read_body()
        RECEIVED.clear()
        RECEIVED.update(
            body=body,
            content_length=self.headers.get("content-length"),
            note=self.headers.get("x-agent-note"),
        )
        # Echo a fixed acknowledgement, not the body: response scanning is checked separately.
        self.send(b"ok " + str(len(body)).encode())

    def do_GET(self):
        RECEIVED.clear()
        RECEIVED.update(path=self.path)
        if self.path == "/leak":
            self.send(("customer: " + EMAIL + "\n" + PAD).encode())
        elif self.path == "/leak-chunked":
            text = (PAD + "contact " + EMAIL + " now\n" + PAD).encode()
            cut = len(PAD) + len("contact ") + 7  # inside the address
            self.send_chunked([text[:cut], text[cut:]])
        elif self.path == "/leak-secret-chunked":
            text = (PAD + "aws key " + SECRET + " end\n" + PAD).encode()
            cut = len(PAD) + len("aws key ") + 9
            self.send_chunked([text[:cut], text[cut:]])
        else:
            self.send(b"hello from upstream")


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # Envoy resets the upstream request of a denied body mid-stream: expected, not an error.
        pass


def envoy_yaml(admin, listen, plain, upstream, wasm, config_json):
    def hcm(name, with_filter):
        wasm_filter = f"""
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: datafog
                root_id: datafog
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: {json.dumps(json.dumps(config_json))}
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code: {{local: {{filename: {wasm}}}}}""" if with_filter else ""
        return f"""
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: {name}
          route_config:
            virtual_hosts:
            - name: upstream
              domains: ["*"]
              routes:
              - match: {{prefix: "/"}}
                route: {{cluster: upstream}}
          http_filters:{wasm_filter}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"""

    return f"""
admin:
  address: {{socket_address: {{address: 127.0.0.1, port_value: {admin}}}}}
static_resources:
  listeners:
  - name: datafog
    address: {{socket_address: {{address: 127.0.0.1, port_value: {listen}}}}}
    filter_chains:
    - filters:{hcm("datafog", True)}
  - name: plain
    address: {{socket_address: {{address: 127.0.0.1, port_value: {plain}}}}}
    filter_chains:
    - filters:{hcm("plain", False)}
  clusters:
  - name: upstream
    type: STATIC
    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
        - endpoint: {{address: {{socket_address: {{address: 127.0.0.1, port_value: {upstream}}}}}}}
"""


def start_envoy(envoy, yaml_text, tmp, name):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(yaml_text)
    log = open(os.path.join(tmp, name + ".log"), "w+")
    proc = subprocess.Popen(
        [envoy, "-c", path, "--log-level", "info", "--concurrency", "1",
         # Distinct shared-memory ids: several Envoys (this test's, anyone else's) on one machine.
         "--base-id", str(os.getpid() % 60000 * 4 + {"good": 0, "observe": 1, "pass": 2, "bad": 3}[name])],
        stdout=log, stderr=subprocess.STDOUT)
    return proc, log


def wait_ready(admin, proc, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            c = http.client.HTTPConnection("127.0.0.1", admin, timeout=1)
            c.request("GET", "/ready")
            if c.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def chunked_request(port, path, chunks, pause=0.05):
    """POST with transfer-encoding: chunked, one write and a pause per chunk (so that Envoy
    sees the chunks separately)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest("POST", path)
    c.putheader("content-type", "text/plain")
    c.putheader("transfer-encoding", "chunked")
    c.endheaders()
    for ch in chunks:
        c.send(b"%x\r\n%s\r\n" % (len(ch), ch))
        time.sleep(pause)
    c.send(b"0\r\n\r\n")
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def stat(admin, name):
    _, data = request(admin, "GET", "/stats?filter=" + name)
    for line in data.decode().splitlines():
        key, _, value = line.partition(": ")
        if key.endswith(name):
            return int(value)
    return None


def main():
    envoy, wasm = sys.argv[1], os.path.abspath(sys.argv[2])
    bench = "--bench" in sys.argv
    t0 = time.time()
    upstream_port = free_port()
    server = QuietServer(("127.0.0.1", upstream_port), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="datafog-envoy-")
    admin, listen, plain = free_port(), free_port(), free_port()
    proc, log = start_envoy(envoy, envoy_yaml(admin, listen, plain, upstream_port, wasm, CONFIG), tmp, "good")
    try:
        if not wait_ready(admin, proc):
            log.seek(0)
            print(log.read()[-4000:])
            check(False, "envoy starts with the filter")
            return 1
        print(f"envoy ready in {time.time() - t0:.2f}s")

        # Allow: no finding, body untouched.
        r, data = request(listen, "POST", "/echo", b'{"q": "weather in paris"}', {"content-type": "application/json"})
        check(r.status == 200 and r.getheader("x-datafog-decision") == "allow", "allow: 200, x-datafog-decision: allow")
        check(RECEIVED.get("body") == b'{"q": "weather in paris"}', "allow: upstream got the body unchanged")

        # Redact: body rewritten, content-length fixed.
        body = ('{"note": "reach me at ' + EMAIL + '"}').encode()
        r, data = request(listen, "POST", "/echo", body, {"content-type": "application/json"})
        got = RECEIVED.get("body", b"")
        check(r.status == 200 and r.getheader("x-datafog-decision") == "allow_with_redaction",
              "redact: 200, x-datafog-decision: allow_with_redaction")
        check(EMAIL.encode() not in got and b"reach me at" in got, "redact: upstream got the body without the email")
        check(RECEIVED.get("content_length") in (None, str(len(got))) and got.endswith(b'"}'),
              "redact: no stale content-length (dropped or matching), the whole rewritten body arrived")

        # Deny: 403 with the envelope; the upstream sees nothing.
        RECEIVED.clear()
        r, data = request(listen, "POST", "/echo", ("key " + SECRET).encode(), {"content-type": "text/plain"})
        env = json.loads(data or b"{}")
        check(r.status == 403 and r.getheader("x-datafog-decision") == "deny", "deny: 403, x-datafog-decision: deny")
        check(env.get("error", {}).get("code") == "policy_denied" and env["error"].get("request_id")
              and env.get("decision", {}).get("matched_rules", [None])[0] == "deny-secrets",
              "deny: error envelope with code, request_id, decision and matched rules")
        check(SECRET.encode() not in data, "deny: the envelope does not quote the secret")
        check(not RECEIVED, "deny: upstream received nothing")

        # A scanned header.
        r, _ = request(listen, "POST", "/echo", b"{}", {"content-type": "application/json", "x-agent-note": "cc " + EMAIL})
        check(r.status == 200 and RECEIVED.get("note") and EMAIL not in RECEIVED["note"],
              "scan_headers: x-agent-note value redacted")

        # Chunked request, the email split across two chunks (and pad so the first chunk is
        # forwarded before the second arrives).
        text = (PAD + "write to " + EMAIL + " today\n" + PAD).encode()
        cut = len(PAD) + len("write to ") + 6
        r, data = chunked_request(listen, "/echo", [text[:cut], text[cut:]])
        got = RECEIVED.get("body", b"")
        check(r.status == 200 and EMAIL.encode() not in got and b"write to" in got and got.endswith(PAD.encode()),
              "chunked request: email split across chunks redacted, the rest intact")
        check(not any(EMAIL[i:].encode() in got or EMAIL[:i].encode() + b" " in got for i in range(3, len(EMAIL) - 3)),
              "chunked request: no fragment of the email reached the upstream")

        # Chunked request with a secret split across chunks: denied; none of the secret reached
        # the upstream (the bytes before it may have).
        RECEIVED.clear()
        text = (PAD + "aws key " + SECRET + " end\n").encode()
        cut = len(PAD) + len("aws key ") + 8
        r, data = chunked_request(listen, "/echo", [text[:cut], text[cut:]])
        check(r.status == 403, "chunked request with a secret across chunks: 403")
        check(SECRET[:8].encode() not in RECEIVED.get("body", b""), "chunked request with a secret: no fragment upstream")

        # Past the cap: fail closed (413), both with a content-length and chunked.
        big = (PAD * (BODY_CAP // len(PAD) + 2)).encode()
        r, data = request(listen, "POST", "/echo", big, {"content-type": "text/plain"})
        check(r.status == 413 and json.loads(data)["error"]["code"] == "request_too_large",
              "body past body_cap (content-length): 413 request_too_large")
        step = 8192
        r, data = chunked_request(listen, "/echo", [big[i:i + step] for i in range(0, len(big), step)])
        check(r.status == 413, "body past body_cap (chunked): 413")

        # Response bodies: buffered, chunked with a split email, chunked with a secret.
        r, data = request(listen, "GET", "/leak")
        check(r.status == 200 and EMAIL.encode() not in data and b"customer:" in data
              and r.getheader("content-length") in (None, str(len(data))),
              "response with PII: redacted, no stale content-length")
        r, data = request(listen, "GET", "/leak-chunked")
        check(r.status == 200 and EMAIL.encode() not in data and b"contact " in data and data.endswith(PAD.encode()),
              "chunked response, email split across chunks: redacted")
        try:
            r, data = request(listen, "GET", "/leak-secret-chunked")
            leaked = SECRET[:9].encode() in data
        except (http.client.HTTPException, OSError):
            leaked = False  # the stream was reset: nothing of the secret arrived
        check(not leaked, "chunked response leaking a secret: stopped before any of it")

        corpus_split_points(listen)

        # Counters.
        check((stat(admin, "datafog.request.deny") or 0) >= 2 and (stat(admin, "datafog.request.allow_with_redaction") or 0) >= 2
              and (stat(admin, "datafog.request.over_cap") or 0) >= 2 and (stat(admin, "datafog.response.allow_with_redaction") or 0) >= 1,
              "counters: datafog.request.{deny,allow_with_redaction,over_cap}, datafog.response.*")

        # Log lines: decisions logged, no value.
        log.flush()
        log.seek(0)
        text_log = log.read()
        check("datafog decision: direction=request effect=deny rules=deny-secrets" in text_log,
              "log: decision line with direction, effect and rules")
        check(EMAIL not in text_log and SECRET not in text_log, "log: no raw value")

        if bench:
            run_bench(listen, plain)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    # Observe mode: decided, logged and marked, never denied nor rewritten.
    observe = dict(CONFIG, mode="observe")
    admin3, listen3, plain3 = free_port(), free_port(), free_port()
    proc3, log3 = start_envoy(envoy, envoy_yaml(admin3, listen3, plain3, upstream_port, wasm, observe), tmp, "observe")
    try:
        check(wait_ready(admin3, proc3), "observe mode: envoy starts")
        body = ("key " + SECRET + " mail " + EMAIL).encode()
        r, _ = request(listen3, "POST", "/echo", body, {"content-type": "text/plain"})
        check(r.status == 200 and r.getheader("x-datafog-decision") == "deny; observe" and RECEIVED.get("body") == body,
              "observe mode: a deny is forwarded unchanged, x-datafog-decision: deny; observe")
        check((stat(admin3, "datafog.request.deny") or 0) == 1, "observe mode: the deny is counted")
    finally:
        proc3.terminate()
        proc3.wait(timeout=10)

    # over_cap = pass: a chunked body past the cap goes through whole; what was scanned before the
    # cap was decided (the email in the first chunk is redacted), the rest is not.
    passing = dict(CONFIG, over_cap="pass")
    admin4, listen4, plain4 = free_port(), free_port(), free_port()
    proc4, _ = start_envoy(envoy, envoy_yaml(admin4, listen4, plain4, upstream_port, wasm, passing), tmp, "pass")
    try:
        check(wait_ready(admin4, proc4), "over_cap pass: envoy starts")
        big = ("mail " + EMAIL + " " + PAD * (BODY_CAP // len(PAD) + 2)).encode()
        step = 8192
        r, _ = chunked_request(listen4, "/echo", [big[i:i + step] for i in range(0, len(big), step)], pause=0.005)
        got = RECEIVED.get("body", b"")
        check(r.status == 200 and r.getheader("x-datafog-decision") == "unscanned"
              and EMAIL.encode() not in got and got.startswith(b"mail ")
              and got.endswith(big[len("mail ") + len(EMAIL):]),
              "over_cap pass: the whole body arrives, marked unscanned, the scanned part redacted")
    finally:
        proc4.terminate()
        proc4.wait(timeout=10)

    # A malformed configuration: Envoy logs the line and refuses to start the filter.
    bad = dict(CONFIG, mode="block")
    admin2, listen2, plain2 = free_port(), free_port(), free_port()
    proc2, log2 = start_envoy(envoy, envoy_yaml(admin2, listen2, plain2, upstream_port, wasm, bad), tmp, "bad")
    try:
        ready = wait_ready(admin2, proc2, timeout=10)
        try:
            r, _ = request(listen2, "GET", "/")
            served = r.status == 200
        except OSError:
            served = False
        log2.seek(0)
        text2 = log2.read()
        check(not ready and not served, "malformed configuration: Envoy does not serve")
        check("datafog: invalid plugin configuration, filter not started" in text2 and "mode" in text2,
              "malformed configuration: the clear log line")
    finally:
        if proc2.poll() is None:
            proc2.terminate()
            proc2.wait(timeout=10)
    server.shutdown()
    if not FAILURES:
        shutil.rmtree(tmp, ignore_errors=True)  # kept on failure: the Envoy logs are there
    else:
        print("envoy logs kept in " + tmp)
    print(f"envoy filter test: {len(FAILURES)} failure(s), {time.time() - t0:.1f}s")
    return 1 if FAILURES else 0


def corpus_split_points(listen):
    """The golden detection corpus through Envoy: every text (after ~1 KB of harmless text, so
    that the scanner cuts inside it) is sent once whole (content-length: the buffered path) and
    once chunked, split inside each expected entity and at the middle byte (the streamed path).
    Both must reach the upstream as the same bytes (or both be denied)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "corpus", "detect")
    pad = (PAD + "\n").encode()
    cases = requests = mismatches = redacted = denied = 0
    first = []
    for name in sorted(os.listdir(root)):
        with open(os.path.join(root, name)) as f:
            corpus = json.load(f)
        for case in corpus["cases"]:
            text = case["text"]
            body = pad + text.encode()
            splits = {len(pad) + len(text.encode()) // 2}
            for e in case.get("expect", []):
                at = text.find(e.get("value", ""))
                if at >= 0 and e.get("value"):
                    mid = at + len(e["value"]) // 2
                    splits.add(len(pad) + len(text[:mid].encode()))
            RECEIVED.clear()
            r, _ = request(listen, "POST", "/echo", body, {"content-type": "text/plain"})
            whole = (r.status, RECEIVED.get("body") if r.status == 200 else None)
            cases += 1
            denied += r.status == 403
            redacted += r.status == 200 and whole[1] != body
            for cut in sorted(splits):
                RECEIVED.clear()
                r, _ = chunked_request(listen, "/echo", [body[:cut], body[cut:]], pause=0.002)
                got = (r.status, RECEIVED.get("body") if r.status == 200 else None)
                requests += 2
                if got != whole:
                    mismatches += 1
                    if len(first) < 3:
                        first.append(f"{name}: {case['name']} (split at {cut - len(pad)}): whole {whole[0]}, chunked {got[0]}")
    for line in first:
        print("     " + line)
    # The counts keep the check honest: most texts carry an entity, so most are rewritten or denied.
    check(mismatches == 0 and cases > 1000 and redacted > 300 and denied > 100,
          f"golden corpus through Envoy: {cases} texts ({redacted} redacted, {denied} denied), "
          f"{requests} requests, chunked == whole ({mismatches} mismatches)")


def run_bench(listen, plain):
    """Per-request latency for a 1 KB body (clean, and with one email), through the filter and
    through the same Envoy without it; MB/s for 60 KB bodies."""
    kb = (PAD[:1000] + "\n").encode()[:1024]
    kb_pii = (PAD[:990] + " " + EMAIL).encode()[:1024]

    def timed(port, body, n, ctype="text/plain"):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(20):
            c.request("POST", "/echo", body=body, headers={"content-type": ctype})
            c.getresponse().read()
        t = time.perf_counter()
        for _ in range(n):
            c.request("POST", "/echo", body=body, headers={"content-type": ctype})
            c.getresponse().read()
        dt = time.perf_counter() - t
        c.close()
        return dt / n

    n = 500
    base = timed(plain, kb, n)
    clean = timed(listen, kb, n)
    pii = timed(listen, kb_pii, n)
    unscanned = timed(listen, kb, n, "application/octet-stream")
    big = (PAD * 60).encode()[:60000]
    big_base = timed(plain, big, 200)
    big_t = timed(listen, big, 200)
    print(f"bench: 1 KB request, no filter: {base * 1e6:.0f} us; with filter (allow): {clean * 1e6:.0f} us "
          f"(+{(clean - base) * 1e6:.0f} us); with filter (1 email redacted): {pii * 1e6:.0f} us (+{(pii - base) * 1e6:.0f} us); "
          f"filter loaded, body not scanned (content type): {unscanned * 1e6:.0f} us (+{(unscanned - base) * 1e6:.0f} us)")
    print(f"bench: 60 KB request: {big_t * 1e3:.2f} ms with filter, {big_base * 1e3:.2f} ms without; "
          f"filter throughput {len(big) / max(big_t - big_base, 1e-9) / 1e6:.1f} MB/s (end to end {len(big) / big_t / 1e6:.1f} MB/s)")


if __name__ == "__main__":
    sys.exit(main())
