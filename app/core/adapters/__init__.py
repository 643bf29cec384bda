"""The only modules that touch third-party internals: one small adapter per library, each pinned by a test."""
