"""Configuration: production refuses to start without its secrets; URL normalisation."""

from __future__ import annotations

import pytest

import config
from app import create_app


def test_database_url_accepts_heroku_scheme():
    assert config.database_url("postgres://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    assert config.database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert config.database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert config.database_url(None) is None


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SECRET_KEY"])
def test_production_refuses_to_start_without_its_settings(monkeypatch, missing):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SECRET_KEY"):
        monkeypatch.setenv(name, "set")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        create_app("production")


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    monkeypatch.setenv("X_NUM", "7")
    assert config.env_bool("X_FLAG", False) is True
    assert config.env_bool("X_MISSING", True) is True
    assert config.env_int("X_NUM", 1) == 7
