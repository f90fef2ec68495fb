"""Service-wiki pages through mwclient.

Until its own issue lands this plugin only registers itself and reports its health.
"""

from hub import hookimpl
from hub.hooktypes import Health

__version__ = "0.1.0"


@hookimpl
def hub_report_health() -> Health:
    return Health(ok=True, version=__version__, detail="registered; bridge not built yet")
