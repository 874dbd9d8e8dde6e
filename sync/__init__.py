"""Lightspeed Sync & Health: an exact, always-fresh copy of a Lightspeed X-Series store in SQL."""

__version__ = "0.1.0"
