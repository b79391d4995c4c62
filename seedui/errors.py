"""Errors that carry a message meant for the user.

Code raises `UserError` with text that says what went wrong and how to fix it;
the UI and API turn it into `gr.Error` or a per-lane error at one boundary.
"""


class UserError(Exception):
    """Bad input or a known condition; the message is shown as is."""


class ConfigError(UserError):
    """Invalid configuration, found at start-up."""


class EngineError(UserError):
    """An engine failed in a way the user should see (server down, model missing)."""
