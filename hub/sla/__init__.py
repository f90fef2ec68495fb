"""The SLA engine: business calendars now; clocks, sweeps and reports as issue 4 goes on.

Pure functions over contracts' calendars live in :mod:`hub.sla.calendar` (no database),
the iCalendar import of closed days in :mod:`hub.sla.ics`.
"""
