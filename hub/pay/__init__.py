"""Associate pay (DESIGN.md §1, "Associate pay"): tariffs, activity, quarterly statements.

- :mod:`hub.pay.tariffs` — the seed's tariffs and their dated versions.
- :mod:`hub.pay.quarters` — quarters on the hub's clock (Europe/Amsterdam).
- :mod:`hub.pay.activity` — handover sessions, team meetings, trainings and exams.
- :mod:`hub.pay.items` — every payable item of an associate, priced on its own date.
- :mod:`hub.pay.statements` — a quarter's statement: preview, issue (frozen), CSV.

The functions change the session and leave the commit to the caller, so that a refusal
leaves nothing half-written.
"""
