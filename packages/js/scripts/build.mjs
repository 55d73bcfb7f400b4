// Transpiles the DataFog component (datafog.wasm, a wasm32-wasip2 build of `datafog-component`)
// into ES modules under gen/ with jco. The input is $DATAFOG_WASM, else the component in the
// cargo target directory ($CARGO_TARGET_DIR, else the repository's target/). The default policy
// (config/policy.json) is copied beside it so the top-level `decide` has the shipped starter policy.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(pkg, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR
  ? resolve(process.env.CARGO_TARGET_DIR)
  : join(repo, 'target');
const input = process.env.DATAFOG_WASM
  ? resolve(process.env.DATAFOG_WASM)
  : join(targetDir, 'wasm32-wasip2', 'release', 'datafog.wasm');

if (!existsSync(input)) {
  console.error(
    `build: no component at ${input}\n` +
      'build it first: cargo build --release --locked --target wasm32-wasip2 -p datafog-component\n' +
      '(or point DATAFOG_WASM at a datafog.wasm)',
  );
  process.exit(1);
}

const out = join(pkg, 'gen');
rmSync(out, { recursive: true, force: true });
const jco = join(pkg, 'node_modules', '@bytecodealliance', 'jco', 'dist', 'jco.js');
// --name fixes the output file names (gen/datafog.js) whatever the input file is called.
execFileSync(process.execPath, [jco, 'transpile', input, '--name', 'datafog', '--out-dir', out, '--quiet'], {
  stdio: 'inherit',
});
copyFileSync(join(repo, 'config', 'policy.json'), join(pkg, 'default-policy.json'));
console.log(`build: ${input} (${statSync(input).size} bytes) -> ${out}`);
