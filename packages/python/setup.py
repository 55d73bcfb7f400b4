"""Build hook: put the component and the starter policy inside the package.

The component (`datafog.wasm`) is a build artifact of `datafog-component`, not a source file, so
it is copied at build time from, in order:

1. `DATAFOG_WASM`, when set (a file);
2. `$CARGO_TARGET_DIR/hosts/datafog-strict-init.wasm`, when `CARGO_TARGET_DIR` is set;
3. `<repo>/target/hosts/datafog-strict-init.wasm`.

The default is the import-free, pre-initialised build that `scripts/build-strict` makes (no WASI
imports; `docs/embedding.md`, "Strict hosts"). A wasm32-wasip2 build given by `DATAFOG_WASM` works
too: the loader links an empty WASI context.

The build fails when none exists: a wheel without the component would install and then fail on
first use. `starter_policy.json` is the repository's `config/policy.json` (what the module-level
`decide` and `transform` use).
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def component_source() -> Path:
    explicit = os.environ.get("DATAFOG_WASM")
    if explicit:
        return Path(explicit)
    target = os.environ.get("CARGO_TARGET_DIR")
    base = Path(target) if target else REPO / "target"
    if not base.is_absolute():
        base = REPO / base
    return base / "hosts" / "datafog-strict-init.wasm"


class BuildWithComponent(build_py):
    def run(self) -> None:
        super().run()
        wasm = component_source()
        if not wasm.is_file():
            raise SystemExit(
                f"datafog-firewall: component not found at {wasm}; build it with "
                "`scripts/build-strict` (the import-free component) "
                "or set DATAFOG_WASM to a DataFog component"
            )
        policy = REPO / "config" / "policy.json"
        if not policy.is_file():
            raise SystemExit(f"datafog-firewall: starter policy not found at {policy}")
        out = Path(self.build_lib) / "datafog_firewall"
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(wasm, out / "datafog.wasm")
        shutil.copyfile(policy, out / "starter_policy.json")


setup(cmdclass={"build_py": BuildWithComponent})
