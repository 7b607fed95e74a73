"""Adapters: everything that speaks a foreign format or service (CSV, ICS, Google Calendar)."""
