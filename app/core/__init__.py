"""The framework every domain builds on, one concern per module; it imports no domain (README "Layout")."""
