"""Fast path: each response schema compiled once into a plain dumper, giving marshmallow's own output.

The marshmallow schema stays the truth of a resource's shape. `compile_dumper(schema)` reads it through its
public API (`dump_fields`, each field's `data_key`/`attribute`/`dump_default`, `Nested.schema`, `List.inner`,
`Schema.resolve_hooks`) and returns a `Dumper`: for each field a key, an attribute and a value conversion,
applied object by object without marshmallow's per-value machinery (a list page is hundreds of values, and
marshmallow's dump was a third of its time). The base `Schema.dump` (`app/core/api.py`) goes through it,
so routes return what `@blp.response` declares and socket payloads call `Schema().dump` the same way.

Conversions are known for the plain field types (exactly these classes, not subclasses that may override
`_serialize`); any other field, a dotted attribute, or a value the object lacks is dumped by the field's own
`serialize`, and a schema with pre/post-dump hooks by marshmallow entirely. `tests/core/test_serialization.py`
holds the output equal to marshmallow's for every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP

MISSING = ma.missing
Convert = Callable[[Any], Any] | None  # None: the value is written as it is


def iso_utc(value: datetime | None) -> str | None:
    """A timestamp as the API writes it, aware UTC: `2026-11-22T14:05:00Z` (a naive value is read as UTC)."""
    if value is None:
        return None
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _string(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    return value.decode() if isinstance(value, bytes) else str(value)


def _integer(value: Any) -> Any:
    return value if value is None or type(value) is int else int(value)


def _enum(field: fields.Enum) -> Callable[[Any], Any]:
    """An enum by value or by name; a list row may hold the stored value (a `str`) rather than the member."""
    enum_cls = field.enum
    if field.by_value:
        return _optional(lambda value: (value if isinstance(value, enum_cls) else enum_cls(value)).value)
    return _optional(lambda value: (value if isinstance(value, enum_cls) else enum_cls[value]).name)


def _date(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _boolean(field: fields.Boolean, name: str) -> Callable[[Any], Any]:
    """A bool as it is; anything else as the field makes it (`"yes"` is True by its truthy set)."""
    key = field.attribute or name
    return lambda value: value if value is None or type(value) is bool else field.serialize(name, {key: value})


# Exact field classes whose `_serialize` is known: subclasses may override it, so they take the slow path
# unless they name their conversion in a `DUMP_VALUE` class attribute (as `UTCDateTime` does).
PLAIN: dict[type, Convert] = {
    fields.Raw: None,
    fields.Integer: _integer,
    fields.Float: _optional(float),
    fields.String: _string,
    fields.Date: _date,
}


def _convert(field: fields.Field, name: str) -> Convert | bool:
    """The value conversion of a field, or False when only the field's own `serialize` is right."""
    own = type(field).__dict__.get("DUMP_VALUE")
    if own is not None:
        return own
    kind = type(field)
    if (kind in (fields.Integer, fields.Float) and field.as_string) or (kind is fields.Date and field.format):
        return False
    if kind in PLAIN:
        return PLAIN[kind]
    if kind is fields.Boolean:
        return _boolean(field, name)
    if kind is fields.Enum:
        return _enum(field) if field.by_value in (True, False) else False
    if kind is fields.Nested:
        nested = compile_dumper(field.schema)
        return _optional(nested.many if field.many else nested.one)
    if kind is fields.List:
        inner = _convert(field.inner, name)
        if inner is False:
            return False
        if inner is None:
            return _optional(list)
        return _optional(lambda values: [inner(value) for value in values])
    return False


class Dumper:
    """A schema's dump as plain steps: `one(obj)` and `many(objs)` give what `schema.dump` gives."""

    def __init__(self, schema: ma.Schema) -> None:
        self.schema = schema
        hooks = type(schema).resolve_hooks()
        self.plain = not (hooks.get(PRE_DUMP) or hooks.get(POST_DUMP))
        # (key, field name, attribute, conversion, field); a False conversion: the field serializes the value.
        self.steps: list[tuple[str, str, str, Convert | bool, fields.Field]] = []
        if self.plain:
            for name, field in schema.dump_fields.items():
                attribute = field.attribute or name
                convert = _convert(field, name) if "." not in attribute else False
                self.steps.append((field.data_key or name, name, attribute, convert, field))

    def one(self, obj: Any) -> dict[str, Any]:
        """Dump one object (a model, a row, a mapping)."""
        if not self.plain:
            return ma.Schema.dump(self.schema, obj, many=False)
        read = obj.get if isinstance(obj, Mapping) else lambda attribute, default: getattr(obj, attribute, default)
        out: dict[str, Any] = {}
        for key, name, attribute, convert, field in self.steps:
            if convert is False:
                value = field.serialize(name, obj, self.schema.get_attribute)
            else:
                value = read(attribute, MISSING)
                if value is MISSING:  # absent: the field's dump_default, else no key (as marshmallow)
                    value = field.serialize(name, obj, self.schema.get_attribute)
                elif convert is not None:
                    value = convert(value)
            if value is not MISSING:
                out[key] = value
        return out

    def many(self, objs: Any) -> list[dict[str, Any]]:
        """Dump each object of an iterable."""
        one = self.one
        return [one(obj) for obj in objs]

    def dump(self, obj: Any, many: bool) -> Any:
        """`schema.dump(obj, many=many)`."""
        return self.many(obj) if many else self.one(obj)


_DUMPERS: dict[tuple, Dumper] = {}


def compile_dumper(schema: ma.Schema) -> Dumper:
    """The schema's dumper, compiled once per schema class and choice of fields (`only`, `exclude`, ...)."""
    chosen = (schema.only, schema.exclude, schema.load_only, schema.dump_only)
    key = (type(schema), *(None if names is None else frozenset(names) for names in chosen))
    dumper = _DUMPERS.get(key)
    if dumper is None:
        dumper = _DUMPERS[key] = Dumper(schema)
    return dumper
