"""More ``slahub`` commands, one module per subject (serve, backup, privacy...).

Each module here defines ``commands``: a list of click commands or groups that
:func:`register` adds to the ``slahub`` group; a new command is a new module, nothing
else to wire.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


def register(group: click.Group) -> None:
    """Add every module's ``commands`` to ``group``."""
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for command in getattr(loaded, "commands", ()):
            group.add_command(command)
