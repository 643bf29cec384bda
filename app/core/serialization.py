"""Fast path: each response schema compiled once into a plain dumper, giving marshmallow's own output.

The marshmallow schema stays the truth of a resource's shape. `compile_dumper(schema)` reads it through its
public API (`dump_fields`, each field's `data_key`/`attribute`, `Nested.schema`, `List.inner`,
`Schema.resolve_hooks`) and returns a `Dumper`: the keys in the schema's order, the attributes read in one
C-level call per object, and a conversion for each value that needs one, without marshmallow's per-value
machinery (a list page is hundreds of values, and marshmallow's dump was a third of its time). The base
`Schema.dump` (`app/core/api.py`) goes through it, so routes return what `@blp.response` declares and socket
payloads call `SomeSchema().dump` the same way.

Conversions are known for the plain field types (exactly these classes, not subclasses that may override
`_serialize`, unless they name theirs in `DUMP_VALUE`); any other field, or a dotted attribute, is dumped by
the field's own `serialize`; an object that lacks a value, or a schema with pre/post-dump hooks, by
marshmallow. `tests/core/test_serialization.py` holds the output equal to marshmallow's for every kind.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
import orjson
from marshmallow import fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP

MISSING = ma.missing
Convert = Callable[[Any], Any] | None  # None: the value is written as it is


def iso_utc(value: datetime | None) -> str | None:
    """A timestamp as the API writes it, aware UTC: `2026-11-22T14:05:00Z` (a naive value is read as UTC).

    A value already in `datetime.UTC` (what psycopg reads in our UTC sessions) is written by orjson, the same
    text as `isoformat()` with `Z` in a quarter of the time (tested over the whole calendar); a list page
    writes one or two per row.
    """
    if value is None:
        return None
    if value.tzinfo is UTC and type(value) is datetime:
        return orjson.dumps(value, option=orjson.OPT_UTC_Z)[1:-1].decode()
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _string(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    return value.decode() if isinstance(value, bytes) else str(value)


def _enum(field: fields.Enum) -> Callable[[Any], Any]:
    """An enum by value or by name; a list row may hold the stored value (a `str`) rather than the member."""
    enum_cls = field.enum
    if field.by_value:
        # One dict lookup for a member or its stored value (a `StrEnum` member is equal to its value); anything
        # else goes through the enum, which raises as marshmallow would.
        values = {member.value: member.value for member in enum_cls} | {member: member.value for member in enum_cls}
        return _optional(lambda value: values[value] if value in values else enum_cls(value).value)
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
    fields.Integer: int,
    fields.Float: float,
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
    if kind is fields.Dict and field.key_field is None and field.value_field is None:
        return dict  # a plain mapping is copied as it is (its keys and values written as they are)
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


# Fields whose values are written as they are when already of their JSON type (else converted, as marshmallow).
NATIVE = {fields.Integer: "int", fields.Float: "float", fields.String: "str", fields.Boolean: "bool"}


class Dumper:
    """A schema's dump as plain steps: `one(obj)` and `many(objs)` give what `schema.dump` gives.

    `one` is generated once from the schema's fields (`source` shows it): an object's values are read in one
    C-level call (`attrgetter`, or `itemgetter` for a mapping), each value that needs it is converted inline,
    and the dict is built in the schema's key order. Fields that only their own `serialize` gets right go the
    field's way; an object lacking a value is dumped field by field by marshmallow (`dump_default`, no key).
    """

    def __init__(self, schema: ma.Schema) -> None:
        self.schema = schema
        hooks = type(schema).resolve_hooks()
        self.plain = not (hooks.get(PRE_DUMP) or hooks.get(POST_DUMP))
        self.keys = [field.data_key or name for name, field in schema.dump_fields.items()]
        self.source, self.one = self._generate() if self.plain else ("", self.by_marshmallow)

    def _generate(self) -> tuple[str, Callable[[Any], dict[str, Any]]]:
        names: dict[str, Any] = {"Mapping": Mapping, "MISSING": MISSING, "by_marshmallow": self.by_marshmallow}
        attributes, body, entries, serialized = [], [], [], []
        for index, (name, field) in enumerate(self.schema.dump_fields.items()):
            key, attribute = field.data_key or name, field.attribute or name
            convert = _convert(field, name) if "." not in attribute else False
            if convert is False:
                names[f"field_{index}"] = field
                entries.append(f"{key!r}: field_{index}.serialize({name!r}, obj, get_attribute)")
                serialized.append(key)
                continue
            value = f"v{len(attributes)}"
            attributes.append(attribute)
            native = NATIVE.get(type(field))
            if convert is not None:
                names[f"convert_{index}"] = convert
                test = f"{value} is not None" + (f" and type({value}) is not {native}" if native else "")
                body.append(f"    if {test}: {value} = convert_{index}({value})")
            entries.append(f"{key!r}: {value}")
        names["get_attribute"] = self.schema.get_attribute
        names["attributes_of"] = _getter(operator.attrgetter, attributes)
        names["items_of"] = _getter(operator.itemgetter, attributes)
        unpack = "".join(f"v{i}, " for i in range(len(attributes)))
        lines = [
            "def one(obj):",
            "    try:",
            "        values = items_of(obj) if type(obj) is dict or isinstance(obj, Mapping) else attributes_of(obj)",
            "    except (AttributeError, KeyError):",
            "        return by_marshmallow(obj)",
            f"    ({unpack}) = values" if attributes else "    values = ()",
            *body,
            "    out = {" + ", ".join(entries) + "}",
            *(f"    if out[{key!r}] is MISSING: del out[{key!r}]" for key in serialized),
            "    return out",
        ]
        source = "\n".join(lines) + "\n"  # our own code, built from the schema's fields: nothing from input
        # exec (bandit B102): the source is built from our own schema's field names, each written with repr()
        code = compile(source, f"<dumper of {type(self.schema).__name__}>", "exec")
        exec(code, names)  # nosec B102
        return source, names["one"]

    def by_marshmallow(self, obj: Any) -> dict[str, Any]:
        """Dump one object the full marshmallow way (a schema with dump hooks, an object lacking a value)."""
        return ma.Schema.dump(self.schema, obj, many=False)

    def many(self, objs: Any) -> list[dict[str, Any]]:
        """Dump each object of an iterable."""
        one = self.one
        return [one(obj) for obj in objs]

    def dump(self, obj: Any, many: bool) -> Any:
        """`schema.dump(obj, many=many)`."""
        return self.many(obj) if many else self.one(obj)


def _getter(make: Callable[..., Any], names: list[str]) -> Callable[[Any], tuple]:
    """`attrgetter`/`itemgetter` of these names that always gives a tuple (even of one or none)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        single = make(names[0])
        return lambda obj: (single(obj),)
    return make(*names)


_DUMPERS: dict[tuple, Dumper] = {}


def compile_dumper(schema: ma.Schema) -> Dumper:
    """The schema's dumper, compiled once per schema class and choice of fields (`only`, `exclude`, ...)."""
    chosen = (schema.only, schema.exclude, schema.load_only, schema.dump_only)
    key = (type(schema), *(None if names is None else frozenset(names) for names in chosen))
    dumper = _DUMPERS.get(key)
    if dumper is None:
        dumper = _DUMPERS[key] = Dumper(schema)
    return dumper
