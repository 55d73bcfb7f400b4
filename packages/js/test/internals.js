// The package's own modules, by file (not through `exports`): the raw jco bindings build real
// receipts for the chain tests, and guard.js is where a trap is handled. Resolved from the
// installed package, so the tests exercise the tarball's files, not the source tree's.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkgDir = dirname(fileURLToPath(import.meta.resolve('@datafog/firewall')));

export const pkgRoot = pkgDir;
export const { firewall: raw } = await import(pathToFileURL(join(pkgDir, 'gen', 'datafog.js')).href);
export const guard = await import(pathToFileURL(join(pkgDir, 'guard.js')).href);
