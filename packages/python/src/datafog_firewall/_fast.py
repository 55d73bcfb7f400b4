"""Faster calls through wasmtime-py 50's dynamic component API.

`wasmtime.component.Func.__call__` asks the C API for the function's type on every call, and
each record, list, option and result type asks again for its fields, element or cases for every
value it converts (a few FFI calls per record field). For a scan that is most of the time of a
call: ~120 us of a 1 KB scan whose guest work is ~20 us. Here the type tree of each export is
read once and frozen (each type object gets a subclass whose properties return the cached
answer), and `call` is `Func.__call__` using the frozen types. The conversions themselves are
wasmtime-py's own code, unchanged.

This leans on wasmtime-py internals (`_types`, `_ffi`, `_enter`), which is why `pyproject.toml`
pins `wasmtime` exactly; `tests/test_fast.py` checks the frozen path against the stock one.
"""

from __future__ import annotations

import ctypes
from ctypes import byref, pointer
from typing import Any, List, Optional, Sequence, Tuple

from wasmtime import _ffi as ffi
from wasmtime.component import Func, Record
from wasmtime.component import _types as T
from wasmtime.component._enter import enter_wasm


class _Record(T.RecordType):
    @property
    def fields(self) -> List[Tuple[str, T.ValType]]:
        return self._frozen  # type: ignore[attr-defined, no-any-return]

    def convert_from_c(self, c: "ffi.wasmtime_component_val_t") -> Any:
        """`RecordType.convert_from_c` without decoding each field's name from C: a record
        value's fields come in its type's order, so the frozen names are the names."""
        assert c.kind == ffi.WASMTIME_COMPONENT_RECORD.value
        try:
            fields = self._frozen  # type: ignore[attr-defined]
            raw = c.of.record
            if raw.size != len(fields):
                raise ValueError(f"record value has {raw.size} fields, its type {len(fields)}")
            ret = Record()
            values = ret.__dict__
            data = raw.data
            for i, (name, ty) in enumerate(fields):
                val = data[i].val
                values[name] = ty.convert_from_c(val)
                # Ownership moved to Python: what the delete below frees must be plain.
                val.kind = ffi.WASMTIME_COMPONENT_BOOL
                val.of.boolean = False
            return ret
        finally:
            ffi.wasmtime_component_valrecord_delete(c.of.record)


class _List(T.ListType):
    @property
    def element(self) -> T.ValType:
        return self._frozen  # type: ignore[attr-defined, no-any-return]

    def _is_bytes(self) -> bool:
        return self._bytes  # type: ignore[attr-defined, no-any-return]


class _Tuple(T.TupleType):
    @property
    def elements(self) -> List[T.ValType]:
        return self._frozen  # type: ignore[attr-defined, no-any-return]


class _Option(T.OptionType):
    @property
    def payload(self) -> T.ValType:
        return self._frozen  # type: ignore[attr-defined, no-any-return]

    def _tagged(self) -> bool:
        return self._tag  # type: ignore[attr-defined, no-any-return]


class _Result(T.ResultType):
    @property
    def ok(self) -> Optional[T.ValType]:
        return self._ok  # type: ignore[attr-defined, no-any-return]

    @property
    def err(self) -> Optional[T.ValType]:
        return self._err  # type: ignore[attr-defined, no-any-return]

    def _tagged(self) -> bool:
        return self._tag  # type: ignore[attr-defined, no-any-return]


class _Variant(T.VariantType):
    @property
    def cases(self) -> List[Tuple[str, Optional[T.ValType]]]:
        return self._frozen  # type: ignore[attr-defined, no-any-return]

    def _tagged(self) -> bool:
        return self._tag  # type: ignore[attr-defined, no-any-return]


def freeze(ty: Optional[T.ValType]) -> Optional[T.ValType]:
    """Cache `ty`'s structure in place (children first), returning `ty`."""
    if ty is None:
        return None
    # Exact class checks: an already frozen type is a subclass and is left alone.
    cls = type(ty)
    if cls is T.RecordType:
        fields = [(name, freeze(t)) for name, t in ty.fields]  # type: ignore[attr-defined]
        ty.__class__ = _Record
        ty._frozen = fields  # type: ignore[attr-defined]
    elif cls is T.ListType:
        element = freeze(ty.element)  # type: ignore[attr-defined]
        is_bytes = ty._is_bytes()  # type: ignore[attr-defined]
        ty.__class__ = _List
        ty._frozen, ty._bytes = element, is_bytes  # type: ignore[attr-defined]
    elif cls is T.TupleType:
        elements = [freeze(t) for t in ty.elements]  # type: ignore[attr-defined]
        ty.__class__ = _Tuple
        ty._frozen = elements  # type: ignore[attr-defined]
    elif cls is T.OptionType:
        payload = freeze(ty.payload)  # type: ignore[attr-defined]
        ty.__class__ = _Option
        ty._frozen = payload  # type: ignore[attr-defined]
        ty._tag = T.OptionType._tagged(ty)  # type: ignore[attr-defined, arg-type]
    elif cls is T.ResultType:
        ok, err = freeze(ty.ok), freeze(ty.err)  # type: ignore[attr-defined]
        ty.__class__ = _Result
        ty._ok, ty._err = ok, err  # type: ignore[attr-defined]
        ty._tag = T.ResultType._tagged(ty)  # type: ignore[attr-defined, arg-type]
    elif cls is T.VariantType:
        cases = [(name, freeze(t)) for name, t in ty.cases]  # type: ignore[attr-defined]
        ty.__class__ = _Variant
        ty._frozen = cases  # type: ignore[attr-defined]
        ty._tag = T.VariantType._tagged(ty)  # type: ignore[attr-defined, arg-type]
    return ty


class FrozenFunc:
    """A component function with its type read once (per instance: a function's type object
    belongs to its store)."""

    def __init__(self, func: Func, store: Any):
        self.func = func
        # Kept alive: the parameter and result types were read from it.
        self.functype = func.type(store)
        self.params: Sequence[T.ValType] = [freeze(t) for _, t in self.functype.params]  # type: ignore[misc]
        self.result = freeze(self.functype.result)

    def __call__(self, store: Any, *args: Any) -> Any:
        """`wasmtime.component.Func.__call__` with the frozen types."""
        params = self.params
        if len(args) != len(params):
            raise TypeError(f"wrong number of parameters: given {len(args)}, expected {len(params)}")
        param_capi = (ffi.wasmtime_component_val_t * len(args))()
        n = 0
        try:
            for ty, val in zip(params, args):
                ty.convert_to_c(store, val, pointer(param_capi[n]))
                n += 1
            result_space = None
            result_capi = None
            result_len = 0
            if self.result is not None:
                result_space = ffi.wasmtime_component_val_t()
                result_capi = byref(result_space)
                result_len = 1
            raw = self.func._func
            count = n

            def run() -> "ctypes._Pointer[ffi.wasmtime_error_t]":
                return ffi.wasmtime_component_func_call(
                    byref(raw), store._context(), param_capi, count, result_capi, result_len
                )

            enter_wasm(run)
            if result_space is None:
                return None
            return self.result.convert_from_c(result_space)  # type: ignore[union-attr]
        finally:
            for i in range(n):
                ffi.wasmtime_component_val_delete(byref(param_capi[i]))
