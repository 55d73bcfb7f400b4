"""When `scripts/test-python` runs the suite, the package must come from the installed wheel
(with its own `datafog.wasm`), not from the source tree or a `DATAFOG_WASM` override."""

import os
from pathlib import Path

import pytest

import datafog_firewall as df

pytestmark = pytest.mark.skipif(
    os.environ.get("DATAFOG_EXPECT_INSTALLED") != "1",
    reason="only meaningful against the installed wheel (scripts/test-python)",
)


def test_imported_from_site_packages_with_the_shipped_component():
    package = Path(df.__file__).resolve().parent
    assert "site-packages" in package.parts, package
    assert "DATAFOG_WASM" not in os.environ
    wasm = Path(df.component_path()).resolve()
    assert wasm.parent == package and wasm.is_file() and wasm.stat().st_size > 100_000
    assert (package / "py.typed").is_file()
    assert (package / "starter_policy.json").is_file()
