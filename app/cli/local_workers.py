"""`memdash serve`'s local workers, supervised: a worker process that dies (a crash, an
out-of-memory kill, a stray SIGKILL) is started again after a backoff, with a line in the log,
so the single-machine default never sits with a queue that nothing can run.

The backoff doubles from `first_backoff_s` up to `max_backoff_s` while a worker keeps dying
soon after it starts, and is reset once it has stayed up for `stable_after_s`. Each worker
keeps its name across restarts, so the queue page shows the same row coming back."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class _Slot:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at_s: float = 0.0
    backoff_s: float = 0.0
    restart_at_s: float | None = None
    restarts: int = 0


@dataclass
class LocalWorkers:
    """Starts one process per command, restarts any that exit, stops them all on `stop()`."""

    commands: Sequence[tuple[str, list[str]]]  # (name, argv)
    spawn: Callable[[list[str]], subprocess.Popen]
    log: Callable[[str], None]
    first_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    stable_after_s: float = 60.0
    poll_s: float = 0.5
    _slots: list[_Slot] = field(default_factory=list, init=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def start(self) -> None:
        self._slots = [_Slot(name, list(argv)) for name, argv in self.commands]
        for slot in self._slots:
            self._launch(slot)
        self._thread = threading.Thread(target=self._watch, name="local-workers", daemon=True)
        self._thread.start()

    def _launch(self, slot: _Slot) -> None:
        slot.process = self.spawn(slot.command)
        slot.started_at_s = time.monotonic()
        slot.restart_at_s = None

    def check_once(self) -> None:
        """One pass: notice exits, schedule and perform restarts."""
        now = time.monotonic()
        with self._lock:
            if self._stopping.is_set():
                return
            for slot in self._slots:
                if slot.restart_at_s is not None:
                    if now >= slot.restart_at_s:
                        slot.restarts += 1
                        self.log(
                            f"local worker {slot.name}: started again (restart {slot.restarts})"
                        )
                        self._launch(slot)
                    continue
                code = slot.process.poll() if slot.process else None
                if code is None:
                    continue
                lived_s = now - slot.started_at_s
                if lived_s >= self.stable_after_s:
                    slot.backoff_s = self.first_backoff_s
                else:
                    slot.backoff_s = min(
                        self.max_backoff_s, max(self.first_backoff_s, 2 * slot.backoff_s)
                    )
                slot.restart_at_s = now + slot.backoff_s
                self.log(
                    f"local worker {slot.name} exited with code {code} after {lived_s:.0f} s; "
                    f"starting it again in {slot.backoff_s:.3g} s"
                )

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_s):
            self.check_once()

    @property
    def processes(self) -> list[subprocess.Popen]:
        return [slot.process for slot in self._slots if slot.process is not None]

    def stop(self, timeout_s: float = 30.0) -> None:
        with self._lock:
            self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        running = [p for p in self.processes if p.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
