"""Client hours: the hours card per contract (purchases, approved time, disputed time
held), the client's verdict and satisfaction per call, and the low-balance warning.

:mod:`hub.hours.ledger` keeps the card; :mod:`hub.hours.outside` makes verdicts that
arrive as call events (the Mantis bridge) count the same way; :mod:`hub.hours.alerts`
warns when the balance falls below the contract's level.
"""

from hub.hours import outside

outside.listen()
