"""Accounts: users, profiles, trainers, authentication and coaching relationships."""
