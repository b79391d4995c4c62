"""Engines: one async streaming protocol (see base.py), several back ends."""
