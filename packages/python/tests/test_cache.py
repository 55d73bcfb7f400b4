"""The compile cache: a component compiled once is loaded from disk by the next process, and a
damaged, foreign or writable-by-others artifact is never loaded."""

import os
import stat

import datafog_firewall as df
from datafog_firewall import _guest


def wasm_bytes():
    with open(df.component_path(), "rb") as f:
        return f.read()


def test_store_then_load(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAFOG_CACHE_DIR", str(tmp_path / "cache"))
    compiled = _guest.compiled()
    wasm = wasm_bytes()
    _guest._store_cached(compiled.component, wasm)
    (artifact,) = (tmp_path / "cache").iterdir()
    assert artifact.suffix == ".cwasm" and stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    loaded = _guest._load_cached(compiled.engine, wasm)
    assert loaded is not None
    # The loaded artifact is the component: it runs.
    assert loaded.get_export_index(_guest.INTERFACE) is not None


def test_damaged_or_untrusted_artifacts_are_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAFOG_CACHE_DIR", str(tmp_path / "cache"))
    compiled = _guest.compiled()
    wasm = wasm_bytes()
    _guest._store_cached(compiled.component, wasm)
    (artifact,) = (tmp_path / "cache").iterdir()
    if hasattr(os, "getuid"):
        artifact.chmod(0o666)
        assert _guest._load_cached(compiled.engine, wasm) is None
        artifact.chmod(0o600)
    artifact.write_bytes(b"not a compiled component")
    assert _guest._load_cached(compiled.engine, wasm) is None
    # Another component (other bytes) has another key: nothing to load.
    assert _guest._load_cached(compiled.engine, wasm + b"\0") is None


def test_cache_off(monkeypatch):
    monkeypatch.setenv("DATAFOG_CACHE_DIR", "")
    assert _guest.cache_dir() is None
    assert _guest._load_cached(_guest.compiled().engine, wasm_bytes()) is None
