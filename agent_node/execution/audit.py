"""The audit log: one JSON line per handled command (command, plans, every event, answer).

Appended and flushed line by line. The command in flight is kept beside it
(``audit.jsonl.inflight``, rewritten at each plan and each finished task), so
when the process dies mid-plan, the next start finds what ran and what did not
(:meth:`AuditLog.recover`) and logs it as interrupted. A log that cannot be
written is reported once and never stops the robot.
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
        self.inflight = self.path.with_name(self.path.name + ".inflight") if self.path else None
        self._lock = threading.Lock()
        self._failed = False

    def begin(self, record: dict[str, Any]) -> None:
        """The command in flight, as far as it got (replaced at each call)."""
        if self.inflight is None:
            return
        partial = self.inflight.with_name(self.inflight.name + ".tmp")
        try:
            self.inflight.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(record, ensure_ascii=False, default=str), encoding="utf-8")
            partial.replace(self.inflight)
        except OSError as e:
            log.warning("cannot write %s: %s", self.inflight, e)

    def finish(self) -> None:
        """The command in flight is over (its record written with :meth:`write`)."""
        if self.inflight is not None:
            self.inflight.unlink(missing_ok=True)

    def recover(self) -> dict[str, Any] | None:
        """The command a previous process was handling when it died (None if none),
        logged now as interrupted; its in-flight file is removed."""
        if self.inflight is None or not self.inflight.is_file():
            return None
        try:
            record = json.loads(self.inflight.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            record = {"command": None, "unreadable": str(e)}
        if not isinstance(record, dict):
            record = {"command": None, "unreadable": repr(record)[:200]}
        record.update(ok=False, interrupted=True, error="the node stopped while handling this command")
        self.write(record)
        self.finish()
        return record

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
