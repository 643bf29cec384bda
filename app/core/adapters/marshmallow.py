"""marshmallow internals the query-string loader relies on (tests/core/test_adapters.py pins them)."""

from __future__ import annotations

import marshmallow as ma


def decorated_hooks(schema: ma.Schema) -> dict[str, list[str]]:
    """The names of a schema's decorated methods (`pre_load`, `post_load`, `validates`...) by marshmallow's tag
    (`marshmallow.decorators.PRE_LOAD`...): its class's registry `_hooks`."""
    return {tag: [name for name, *_ in hooks] for tag, hooks in type(schema)._hooks.items()}
