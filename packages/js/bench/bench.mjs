// Scan throughput and latency from Node, and import + first-call time.
//   node bench/bench.mjs [calls]        (from packages/js, or a project that installed the package)
// The 1 KB text is the first 1,024 bytes of tests/corpus/bench/sample.txt (cut back to a character
// boundary); `sample` is the whole 8.8 KB file. Each call is timed alone; the median is reported,
// and MB/s (10^6 B/s) is bytes / median. Import + first call is measured in fresh processes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { scan } from '@datafog/firewall';

const repo = process.env.DATAFOG_REPO_ROOT
  ? resolve(process.env.DATAFOG_REPO_ROOT)
  : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const calls = Number(process.argv[2] ?? 2000);

const sampleBytes = readFileSync(join(repo, 'tests', 'corpus', 'bench', 'sample.txt'));
const sample = sampleBytes.toString('utf8');
// 1,024 bytes, or fewer if that cuts a character.
let cut = 1024;
while ((sampleBytes[cut] & 0xc0) === 0x80) cut--;
const kb = sampleBytes.subarray(0, cut).toString('utf8');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function timeScan(text, n) {
  for (let i = 0; i < Math.min(200, n); i++) scan(text); // warm up (V8 tiers up the glue)
  const us = [];
  let findings = 0;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    findings = scan(text).length;
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return { us: median(us), findings };
}

function row(name, bytes, r) {
  const mbs = bytes / r.us; // bytes per microsecond = MB/s
  console.log(`${name.padEnd(14)} ${String(bytes).padStart(6)} B  median ${r.us.toFixed(1).padStart(7)} us/call  ${mbs.toFixed(1).padStart(6)} MB/s  (${r.findings} findings)`);
}

console.log(`node ${process.version}, ${calls} calls each`);
row('scan 1 KB', Buffer.byteLength(kb), timeScan(kb, calls));
row('scan sample', sampleBytes.length, timeScan(sample, Math.max(100, calls >> 2)));

// Import + first call, in fresh processes (median of 5).
const child = `
const t0 = performance.now();
const m = await import('@datafog/firewall');
const t1 = performance.now();
m.scan('mail jane@example.com');
const t2 = performance.now();
console.log(JSON.stringify({ importMs: t1 - t0, firstCallMs: t2 - t1 }));`;
const runs = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { cwd: process.cwd(), encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  runs.push({ ...JSON.parse(r.stdout), wall });
}
const m = (k) => median(runs.map((r) => r[k])).toFixed(1);
console.log(`import ${m('importMs')} ms, first scan ${m('firstCallMs')} ms, whole process (node start + import + scan + exit) ${m('wall')} ms (median of 5)`);
