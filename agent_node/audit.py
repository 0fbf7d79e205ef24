"""The audit log: one JSON line per handled command (command, plans, every event, answer).

Appended and flushed line by line, so a crash loses at most the run in flight.
A log that cannot be written is reported once and never stops the robot.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class AuditLog:
    def __init__(self, path: str | Path | None):
        self.path = Path(path).expanduser() if path else None
        self._lock = threading.Lock()
        self._failed = False

    def write(self, record: dict[str, Any]) -> bool:
        """Append one record (a ``time`` field is added); False when not written."""
        if self.path is None:
            return False
        line = json.dumps({"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
                           **record}, ensure_ascii=False, default=str)
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
            self._failed = False
            return True
        except OSError as e:
            if not self._failed:
                log.error("cannot write the audit log %s: %s", self.path, e)
            self._failed = True
            return False


def read_audit(path: str | Path) -> list[dict[str, Any]]:
    """Every record of an audit log (for tests and tools)."""
    text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]
