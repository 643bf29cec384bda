"""WSGI entry point for gunicorn: REST API and Socket.IO in one app."""

from app import create_app

app = create_app()
