"""The DataFog component in wasmtime-py: compiled once per process, one store and instance per
`Guest`.

wasmtime-py 50's component API (`wasmtime.component`) is dynamic: records are
`wasmtime.component.Record` objects whose attributes carry the WIT field names (kebab-case, so
they are set and read with `setattr`/`getattr`), enums are `str`, `list<u8>` is `bytes`, and a
`result` or `variant` whose cases Python cannot tell apart by type comes back as
`wasmtime.component.Variant(tag, payload)`. This module is the only one that touches them.
"""

from __future__ import annotations

import hashlib
import os
import platform
import stat
import tempfile
import threading
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Dict, Optional

import wasmtime
from wasmtime import component as wc

from ._fast import FrozenFunc
from ._types import ComponentLoadError, GuestTrap

#: The exported interface this package is written against (`wit/firewall.wit`).
INTERFACE = "datafog:firewall/firewall@0.3.0"


def component_path() -> str:
    """The component this process loads: `DATAFOG_WASM` when set, else the `datafog.wasm`
    shipped inside the package."""
    explicit = os.environ.get("DATAFOG_WASM")
    if explicit:
        return explicit
    return str(resources.files("datafog_firewall").joinpath("datafog.wasm"))


class Compiled:
    """A compiled component and the linker that instantiates it (both shareable across stores
    and threads)."""

    def __init__(self, path: str):
        self.path = path
        try:
            with open(path, "rb") as f:
                wasm = f.read()
        except OSError as e:
            raise ComponentLoadError(f"cannot read the DataFog component {path}: {e.strerror}") from None
        self.engine = wasmtime.Engine()
        cached = _load_cached(self.engine, wasm)
        self.cached = cached is not None
        if cached is None:
            try:
                cached = wc.Component(self.engine, wasm)
            except (wasmtime.WasmtimeError, ValueError) as e:
                raise ComponentLoadError(
                    f"{path} is not a loadable WebAssembly component: {_first_line(e)}"
                ) from e
            _store_cached(cached, wasm)
        self.component: wc.Component = cached
        self.linker = wc.Linker(self.engine)
        # The packaged build imports nothing (`scripts/build-strict`). A wasm32-wasip2 build given
        # by DATAFOG_WASM imports WASI interfaces it never calls; an empty WASI context (set on
        # each store) satisfies them.
        self.linker.add_wasip2()
        iface = self.component.get_export_index(INTERFACE)
        if iface is None:
            raise ComponentLoadError(
                f"{path} does not export {INTERFACE}: not a DataFog component of the version this "
                "package was written for"
            )
        self._iface = iface
        self._exports: Dict[str, Any] = {}

    def export(self, name: str) -> Any:
        index = self._exports.get(name)
        if index is None:
            index = self.component.get_export_index(name, self._iface)
            if index is None:
                raise ComponentLoadError(f"{self.path}: {INTERFACE} has no export `{name}`")
            self._exports[name] = index
        return index


def cache_dir() -> Optional[Path]:
    """Where compiled components are kept between processes: `DATAFOG_CACHE_DIR`, else
    `$XDG_CACHE_HOME/datafog-firewall` (`~/.cache/datafog-firewall`). `DATAFOG_CACHE_DIR=""`
    turns the cache off."""
    explicit = os.environ.get("DATAFOG_CACHE_DIR")
    if explicit is not None:
        return Path(explicit) if explicit else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "datafog-firewall"


def _cache_file(wasm: bytes) -> Optional[Path]:
    directory = cache_dir()
    if directory is None:
        return None
    # The artifact is native code for this wasmtime, this machine and this exact component.
    key = hashlib.sha256(wasm).hexdigest()[:32]
    tag = f"wasmtime-{_wasmtime_version()}-{platform.machine()}"
    return directory / f"datafog-{key}-{tag}.cwasm"


def _wasmtime_version() -> str:
    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:
        return "unknown"


def _trusted(path: Path) -> bool:
    """A compiled artifact is loaded as native code: only from a file and a directory that
    this user owns and nobody else can write."""
    if not hasattr(os, "getuid"):
        return True
    try:
        for p in (path.parent, path):
            st = p.stat()
            if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
    except OSError:
        return False
    return True


def _load_cached(engine: wasmtime.Engine, wasm: bytes) -> Optional[wc.Component]:
    path = _cache_file(wasm)
    if path is None or not path.is_file() or not _trusted(path):
        return None
    try:
        return wc.Component.deserialize_file(engine, str(path))
    except (wasmtime.WasmtimeError, ValueError):
        # Stale or foreign (another wasmtime build): compile again and overwrite it.
        return None


def _store_cached(component: wc.Component, wasm: bytes) -> None:
    """Best effort: a cache that cannot be written (read-only home) only costs the compile."""
    path = _cache_file(wasm)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted_dir(path.parent):
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(component.serialize())
        os.replace(tmp, path)
    except (OSError, wasmtime.WasmtimeError):
        pass


def _trusted_dir(directory: Path) -> bool:
    if not hasattr(os, "getuid"):
        return True
    st = directory.stat()
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


_COMPILED: Dict[str, Compiled] = {}
_COMPILED_LOCK = threading.Lock()


def compiled() -> Compiled:
    """The component, compiled once per process (per path: `DATAFOG_WASM` may name another)."""
    path = component_path()
    c = _COMPILED.get(path)
    if c is None:
        with _COMPILED_LOCK:
            c = _COMPILED.get(path)
            if c is None:
                c = Compiled(path)
                _COMPILED[path] = c
    return c


class Guest:
    """One instance of the component in its own store. Not thread-safe by itself (a wasmtime
    store is single-threaded): callers hold `lock` around `call`."""

    def __init__(self, memory_limit: Optional[int] = None):
        self.compiled = compiled()
        self.lock = threading.Lock()
        self.store = wasmtime.Store(self.compiled.engine)
        self.store.set_wasi(wasmtime.WasiConfig())
        if memory_limit is not None:
            if memory_limit <= 0:
                raise ValueError("memory_limit must be a positive number of bytes")
            self.store.set_limits(memory_size=memory_limit)
        try:
            self.instance = self.compiled.linker.instantiate(self.store, self.compiled.component)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
            raise ComponentLoadError(
                f"cannot instantiate {self.compiled.path}: {_first_line(e)}"
            ) from e
        self._funcs: Dict[str, FrozenFunc] = {}
        #: The export that trapped, once one has: the instance is then unusable.
        self.trapped: Optional[str] = None

    def stock_func(self, name: str) -> wc.Func:
        """Export `name` as wasmtime-py's own `Func` (slower; `call` freezes its types)."""
        func = self.instance.get_func(self.store, self.compiled.export(name))
        if func is None:
            raise ComponentLoadError(f"{self.compiled.path}: `{name}` is not a function")
        return func

    def call(self, name: str, *args: Any) -> Any:
        """Call export `name` (a plain function, or `[method]engine.scan` etc.). A trap raises
        `GuestTrap` and poisons this instance."""
        if self.trapped is not None:
            raise GuestTrap(
                f"this DataFog instance trapped earlier (in `{self.trapped}`) and cannot be used "
                "again; create a new Engine"
            )
        func = self._funcs.get(name)
        if func is None:
            func = FrozenFunc(self.stock_func(name), self.store)
            self._funcs[name] = func
        try:
            return func(self.store, *args)
        except UnicodeEncodeError:
            # A `str` with a lone surrogate cannot cross into the component (WIT strings are
            # Unicode). The codec's message quotes part of the input: say what is wrong instead.
            raise ValueError(
                "text is not valid Unicode (it contains a lone surrogate code point)"
            ) from None
        except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
            self.trapped = name
            raise GuestTrap(
                f"the DataFog component trapped in `{name}`: {_first_line(e)}"
            ) from e


def record(**fields: Any) -> wc.Record:
    """A WIT record from Python keyword names (`entity_type` becomes `entity-type`)."""
    r = wc.Record()
    for key, value in fields.items():
        setattr(r, key.replace("_", "-"), value)
    return r


def get(r: Any, name: str) -> Any:
    """A WIT record field by its Python name."""
    return getattr(r, name.replace("_", "-"))


def result(value: Any, ok_type: Optional[type] = None) -> "tuple[bool, Any]":
    """A lifted WIT `result` as `(is_ok, payload)`. wasmtime-py tags it with `Variant` only when
    the two payload types are indistinguishable; otherwise `ok_type` tells them apart."""
    if isinstance(value, wc.Variant):
        return value.tag == "ok", value.payload
    if ok_type is None:
        raise TypeError("untagged result needs its ok type")
    return isinstance(value, ok_type), value


def _first_line(e: BaseException) -> str:
    """The reason of a wasmtime error: its `Caused by:` lines when it has them (a trap's first
    line is only "error while executing at wasm backtrace:"), else its first non-empty line. The
    full error stays chained as `__cause__`. Never contains input text: wasmtime's messages name
    functions and trap codes, not values."""
    text = str(e)
    if "Caused by:" in text:
        causes = [line.strip() for line in text.split("Caused by:", 1)[1].splitlines()]
        causes = [c for c in causes if c]
        if causes:
            return "; ".join(causes)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return type(e).__name__
