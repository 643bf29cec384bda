"""The compiled dumpers (app/core/serialization.py) give marshmallow's own output, field kind by field kind."""

from __future__ import annotations

import enum
import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import marshmallow as ma
import pytest
from marshmallow import fields

from app.core.api import Schema
from app.core.schemas import EnumField, Trimmed, UTCDateTime
from app.core.serialization import Dumper, compile_dumper, iso_utc


class Colour(enum.Enum):
    RED = "Red"
    BLUE = "Blue"


class InnerSchema(Schema):
    id = fields.Integer()
    colour = EnumField(Colour)


class EveryKindSchema(Schema):
    id = fields.Integer()
    count = fields.Integer(allow_none=True)
    ratio = fields.Float(allow_none=True)
    name = fields.String()
    trimmed = Trimmed()
    flag = fields.Boolean()
    day = fields.Date(allow_none=True)
    at = UTCDateTime(allow_none=True)
    colour = EnumField(Colour)
    colour_name = fields.Enum(Colour, attribute="other_colour")
    tags = fields.List(fields.String())
    numbers = fields.List(fields.Float())
    inner = fields.Nested(InnerSchema, allow_none=True)
    inners = fields.List(fields.Nested(InnerSchema))
    many_inners = fields.Nested(InnerSchema, many=True, data_key="manyInners")
    raw = fields.Raw()
    info = fields.Dict(keys=fields.String(), values=fields.Integer())
    plain = fields.Dict(allow_none=True)
    computed = fields.Function(lambda obj: (obj["id"] if isinstance(obj, dict) else obj.id) * 2)
    defaulted = fields.String(dump_default="dflt")
    dotted = fields.Integer(attribute="inner.id")
    count_text = fields.Integer(as_string=True, attribute="number")


def _objects() -> list:
    inner = SimpleNamespace(id=7, colour=Colour.BLUE)
    full = SimpleNamespace(
        id=1,
        count=Decimal(3),
        ratio=Decimal("2.5"),
        name="Ünïcode",
        trimmed="x",
        flag=True,
        day=date(2026, 3, 29),
        at=datetime(2026, 11, 22, 15, 5, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
        colour=Colour.RED,
        other_colour=Colour.BLUE,
        number=5,
        tags=("a", "b"),
        numbers=[1, Decimal("1.5")],
        inner=inner,
        inners=[inner],
        many_inners=[inner, inner],
        raw={"k": [1]},
        info={"a": 1},
        plain={"sets": 12, "nested": {"k": [1, None]}},
        defaulted="given",
    )
    empty = SimpleNamespace(
        id=2,
        count=None,
        ratio=None,
        name="n",
        trimmed="t",
        flag=False,
        day=None,
        at=datetime(2026, 1, 1),  # naive: read as UTC
        colour=Colour.BLUE,
        other_colour=None,
        number=None,
        tags=[],
        numbers=[],
        inner=None,
        inners=[],
        many_inners=[],
        raw=None,
        info={},
        plain=None,
    )
    mapping = {**vars(empty), "id": 3, "flag": "yes"}  # a mapping; a truthy text is True as the field says
    return [full, empty, mapping]


@pytest.mark.parametrize("index", range(3))
def test_the_compiled_dump_is_marshmallows_dump(index):
    obj = _objects()[index]
    schema = EveryKindSchema()
    assert schema.dump(obj) == ma.Schema.dump(schema, obj)


def test_a_page_dumps_as_marshmallow_dumps_it():
    schema = EveryKindSchema(many=True)
    expected = ma.Schema.dump(schema, _objects())
    assert schema.dump(_objects()) == expected
    assert expected[0]["at"] == "2026-11-22T14:05:00.123456Z"
    assert expected[1]["at"] == "2026-01-01T00:00:00Z"
    assert "defaulted" in expected[1] and expected[1]["defaulted"] == "dflt"


def test_a_list_row_may_hold_an_enums_stored_value():
    row = {"id": 1, "colour": "Red"}
    assert InnerSchema().dump(row) == {"id": 1, "colour": "Red"}
    with pytest.raises(ValueError):
        InnerSchema().dump({"id": 1, "colour": "Green"})


def test_only_and_exclude_are_their_own_dumpers():
    obj = _objects()[0]
    assert EveryKindSchema(only=("id", "name")).dump(obj) == {"id": 1, "name": "Ünïcode"}
    assert "name" not in EveryKindSchema(exclude=("name",)).dump(obj)
    assert compile_dumper(EveryKindSchema()) is compile_dumper(EveryKindSchema())
    assert compile_dumper(EveryKindSchema(only=("id",))) is not compile_dumper(EveryKindSchema())


def test_a_schema_with_dump_hooks_is_dumped_by_marshmallow():
    class Hooked(Schema):
        id = fields.Integer()

        @ma.post_dump
        def _shout(self, data, **kwargs):
            return {**data, "hooked": True}

    assert Hooked().dump(SimpleNamespace(id=1)) == {"id": 1, "hooked": True}
    assert Hooked(many=True).dump([SimpleNamespace(id=2)]) == [{"id": 2, "hooked": True}]
    assert not Dumper(Hooked()).plain


def test_an_object_lacking_a_value_is_dumped_as_marshmallow_does():
    schema = EveryKindSchema()
    partial = SimpleNamespace(**{k: v for k, v in vars(_objects()[0]).items() if k not in ("defaulted", "ratio")})
    dumped = schema.dump(partial)
    assert dumped == ma.Schema.dump(schema, partial)
    assert dumped["defaulted"] == "dflt" and "ratio" not in dumped


def test_every_schema_of_the_api_compiles(app):
    schema_classes = _subclasses(Schema)
    assert len(schema_classes) > 50
    for schema_class in schema_classes:
        schema = schema_class()
        dumper = compile_dumper(schema)
        assert dumper.keys == [field.data_key or name for name, field in schema.dump_fields.items()]


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_timestamps_are_utc():
    assert UTCDateTime().serialize("at", {"at": datetime(2026, 1, 1, tzinfo=UTC)}) == "2026-01-01T00:00:00Z"


def test_utc_timestamps_are_written_as_isoformat_writes_them():
    """`iso_utc`'s fast path (orjson) gives `isoformat()`'s text, from the calendar's first moment to its last."""
    rng = random.Random(17)
    span = int((datetime.max - datetime.min).total_seconds()) * 10**6
    moments = [datetime.min, datetime.max, datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 0, 0, 1), datetime(999, 1, 1)]
    moments += [datetime.min + timedelta(microseconds=rng.randrange(span)) for _ in range(20_000)]
    moments += [moment.replace(microsecond=0) for moment in moments[:1000]]
    for moment in moments:
        aware = moment.replace(tzinfo=UTC)
        assert iso_utc(aware) == aware.isoformat().replace("+00:00", "Z"), moment
        assert iso_utc(moment) == iso_utc(aware)  # naive is read as UTC
    berlin = datetime(2026, 7, 1, 14, 5, tzinfo=timezone(timedelta(hours=2)))
    assert iso_utc(berlin) == "2026-07-01T12:05:00Z"
