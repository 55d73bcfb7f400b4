// Transpiles the DataFog component into ES modules under gen/ with jco. The package ships the
// import-free build (`scripts/build-strict`: wasm32-unknown-unknown wrapped by `wasm-tools
// component new`, pre-initialised by `wasmtime wizer`), so the generated code imports nothing and
// the package needs no WASI shim. The input is $DATAFOG_WASM, else
// hosts/datafog-strict-init.wasm in the cargo target directory ($CARGO_TARGET_DIR, else the
// repository's target/). A component that imports WASI (the wasm32-wasip2 build) is refused. The default policy
// (config/policy.json) is copied beside it so the top-level `decide` has the shipped starter policy.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(pkg, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR
  ? resolve(process.env.CARGO_TARGET_DIR)
  : join(repo, 'target');
const input = process.env.DATAFOG_WASM
  ? resolve(process.env.DATAFOG_WASM)
  : join(targetDir, 'hosts', 'datafog-strict-init.wasm');

if (!existsSync(input)) {
  console.error(
    `build: no component at ${input}\n` +
      'build it first: scripts/build-strict (the import-free component)\n' +
      '(or point DATAFOG_WASM at an import-free datafog component)',
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
// An import in the generated module would need a WASI shim the package does not depend on.
const imports = readFileSync(join(out, 'datafog.js'), 'utf8').match(/^import .* from '[^']+';$/gm) ?? [];
if (imports.length > 0) {
  rmSync(out, { recursive: true, force: true });
  console.error(
    `build: ${input} imports ${imports.length} module(s), e.g. ${imports[0]}\n` +
      'the package ships the import-free component: build it with scripts/build-strict',
  );
  process.exit(1);
}
copyFileSync(join(repo, 'config', 'policy.json'), join(pkg, 'default-policy.json'));
console.log(`build: ${input} (${statSync(input).size} bytes) -> ${out}`);
