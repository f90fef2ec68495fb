"""A test plugin with periodic jobs, for the scheduler tests (load it through PLUGIN_MODULES).

- ``HUB_TEST_JOBS_FILE``: registers the job ``test-timeline``, which appends one JSON line
  per run (pid, start and end on the system-wide monotonic clock) to this file, sleeping
  ``HUB_TEST_JOB_SECONDS`` (default 0.2) in between; it runs every
  ``HUB_TEST_JOB_INTERVAL`` seconds (default 0: whenever a worker looks).
- ``HUB_TEST_JOB_FAIL``: when set, also registers ``test-failing``, which always raises.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hub import hookimpl
from hub.hooktypes import Job


class JobFailed(RuntimeError):
    pass


def timeline() -> None:
    start = time.monotonic()
    time.sleep(float(os.environ.get("HUB_TEST_JOB_SECONDS", "0.2")))
    line = json.dumps({"pid": os.getpid(), "start": start, "end": time.monotonic()}) + "\n"
    fd = os.open(os.environ["HUB_TEST_JOBS_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def failing() -> None:
    raise JobFailed("outside system unreachable")


def runs(path: str | Path) -> list[dict]:
    """The timeline job's runs, in the order they were written."""
    p = Path(path)
    return [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []


@hookimpl
def hub_register_jobs() -> list[Job]:
    interval = float(os.environ.get("HUB_TEST_JOB_INTERVAL", "0"))
    jobs = []
    if os.environ.get("HUB_TEST_JOBS_FILE"):
        jobs.append(Job(name="test-timeline", interval=interval, run=timeline))
    if os.environ.get("HUB_TEST_JOB_FAIL"):
        jobs.append(Job(name="test-failing", interval=interval, run=failing))
    return jobs
