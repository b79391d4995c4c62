"""SeedUI: a side-by-side playground for the Seed-Coder family."""

__version__ = "0.1.0"
