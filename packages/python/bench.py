#!/usr/bin/env python3
"""Python host timings: component compile, instantiate + first call, per-call latency and MB/s.

Run with the package importable (an installed wheel, or `PYTHONPATH=packages/python/src` after
copying the component into it, see docs/embedding.md):

    python3 packages/python/bench.py [--calls N]

Inputs are `tests/corpus/bench/sample.txt` (the bench corpus's first records): "1 KB" is its
first 1,024 bytes (cut back to a character boundary), "sample" the whole file. MB is 10^6 bytes.
Medians of many calls; the machine's load changes the numbers, so compare runs side by side.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def median_us(fn, calls):
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--instances", type=int, default=30)
    args = ap.parse_args()

    sample = (REPO / "tests/corpus/bench/sample.txt").read_text("utf-8")
    text_1k = sample.encode("utf-8")[:1024].decode("utf-8", errors="ignore")
    n1k = len(text_1k.encode("utf-8"))
    nsample = len(sample.encode("utf-8"))

    import os
    import tempfile

    # Cold: a process with the compile cache off (Cranelift compiles the component).
    os.environ["DATAFOG_CACHE_DIR"] = ""
    t = time.perf_counter()
    import datafog_firewall as df
    from datafog_firewall import _guest

    compiled = _guest.compiled()
    compile_ms = (time.perf_counter() - t) * 1e3

    t = time.perf_counter()
    df.scan(text_1k)
    first_plain_ms = (time.perf_counter() - t) * 1e3

    # Warm start: what the next process pays with the cache on (hash the wasm, load the
    # compiled artifact).
    with open(compiled.path, "rb") as f:
        wasm = f.read()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DATAFOG_CACHE_DIR"] = cache
        _guest._store_cached(compiled.component, wasm)
        t = time.perf_counter()
        with open(compiled.path, "rb") as f:
            assert _guest._load_cached(compiled.engine, f.read()) is not None
        cached_ms = (time.perf_counter() - t) * 1e3

    def new_engine_first_scan():
        df.Engine.starter().scan(text_1k)

    def new_instance_first_scan():
        _guest.Guest().call("scan-text", text_1k)

    inst_engine = median_us(new_engine_first_scan, args.instances) / 1e3
    inst_plain = median_us(new_instance_first_scan, args.instances) / 1e3

    engine = df.Engine.starter()
    plain = _guest.Guest()
    stock = plain.stock_func("scan-text")
    records = ["#### " + r for r in sample.split("#### ") if r]
    rows = [
        ("scan(1 KB), code points (the default)", lambda: df.scan(text_1k), n1k),
        ("scan(1 KB), bytes", lambda: df.scan(text_1k, offsets="byte"), n1k),
        ("Engine.scan(1 KB), starter policy", lambda: engine.scan(text_1k), n1k),
        ("Engine.scan_and_decide(1 KB)", lambda: engine.scan_and_decide({"type": "http.request"}, text_1k), n1k),
        ("scan-text(1 KB), wasmtime-py's own Func", lambda: stock(plain.store, text_1k), n1k),
        (f"scan() each sample record ({len(records)} calls)", lambda: [df.scan(r) for r in records], nsample),
        ("scan(whole sample, one call)", lambda: df.scan(sample), nsample),
        ("scan('') (call overhead)", lambda: df.scan(""), 0),
    ]
    from importlib.metadata import version

    print(f"python {sys.version.split()[0]}, wasmtime-py {version('wasmtime')}, component {df.component_path()}")
    print(f"1 KB text: {n1k} bytes, {len(text_1k)} code points; sample: {nsample} bytes")
    print(f"compile, cache off (import + Cranelift, once per process): {compile_ms:.0f} ms")
    print(f"load from the compile cache (read + hash + deserialize): {cached_ms:.1f} ms")
    print(f"first module-level scan (instantiate + call):  {first_plain_ms:.1f} ms")
    print(f"new instance + first scan-text(1 KB), median of {args.instances}: {inst_plain:.2f} ms")
    print(f"Engine.starter() + first scan(1 KB), median of {args.instances}: {inst_engine:.2f} ms")
    print(f"{'call':45} {'median us':>10} {'MB/s':>8}")
    for name, fn, nbytes in rows:
        for _ in range(20):
            fn()
        calls = args.calls if nbytes < 4096 else max(args.calls // 10, 50)
        us = median_us(fn, calls)
        mbs = f"{nbytes / us:8.1f}" if nbytes else "       -"
        print(f"{name:45} {us:10.1f} {mbs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
