"""SLA Hub: the core.

The core owns the data and the rules; plugins bridge outside systems through the
hooks in :mod:`hub.hookspecs`. Plugins write ``from hub import hookimpl``.
"""

import pluggy

#: One name for the hook marker and the entry-point group (see pyproject.toml).
NAME = "slahub"
__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker(NAME)
hookspec = pluggy.HookspecMarker(NAME)


def create_app(test_config: dict | None = None):  # noqa: ANN201 - re-exported factory
    """Build the Flask application; see :func:`hub.app.create_app`."""
    from hub.app import create_app as _create_app

    return _create_app(test_config)


__all__ = ["NAME", "__version__", "create_app", "hookimpl", "hookspec"]
