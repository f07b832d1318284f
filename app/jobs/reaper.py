"""The lease reaper: a server-side loop that requeues (or fails) jobs whose lease expired.

Death is detected by missed heartbeats, never by elapsed run time: a job may run for hours.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from memdash.app.db.engine import session_scope
from memdash.app.jobs import queue
from memdash.app.settings import Settings

log = logging.getLogger("memdash.reaper")


def reap_once(factory: sessionmaker[Session]) -> tuple[int, int]:
    with session_scope(factory) as session:
        return queue.reap(session)


async def reap_forever(factory: sessionmaker[Session], settings: Settings) -> None:
    while True:
        try:
            requeued, failed = await run_in_threadpool(reap_once, factory)
            if requeued or failed:
                log.warning(
                    "reaper: %d job(s) requeued, %d failed after lost leases", requeued, failed
                )
        except Exception:  # a database hiccup must not kill the loop
            log.exception("reaper pass failed")
        await asyncio.sleep(settings.reaper_interval_s)
