"""Stored KV states of prompt segments: what llama.cpp would take a second to evaluate, restored in a millisecond.

A planner prompt begins with parts that recur: the static system turn (the same
for every command) and an example from the example bank (one of a few hundred).
The KV cells of such a segment depend only on the model and on every token up to
the segment's end, so they are evaluated once, saved to a file named by a hash
of those, and restored when a later prompt starts with the same tokens
(llama.cpp's per-sequence state: ``llama_state_seq_get_data`` / ``set_data``).

A file holds a header (the segment's first and last position, the sha256 of the
cells) and the cells. A file that is not whole or not what its name says is
ignored and the segment evaluated again; nothing breaks. The directory is kept
under ``max_bytes``: a save removes the files used least recently beyond it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from pathlib import Path

MAGIC = b"AGENT_NODE_KV1\n"
#: The most the states directory holds (the reference planner's states take ~130 MB).
MAX_BYTES = 1 << 30


def default_states_dir() -> Path:
    """``$AGENT_NODE_STATES``, else ``${XDG_CACHE_HOME:-~/.cache}/agent_node/prompt_states``."""
    if os.environ.get("AGENT_NODE_STATES"):
        return Path(os.environ["AGENT_NODE_STATES"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "agent_node" / "prompt_states"


class PromptStates:
    """The stored states of one model (``model_key`` names it and the llama.cpp build)
    in ``directory``: one file per segment, named by the hash of every token up to
    its end."""

    def __init__(self, directory: str | Path, model_key: str, max_bytes: int = MAX_BYTES):
        self.directory = Path(directory)
        self.model_key = model_key
        self.max_bytes = max_bytes

    def path(self, tokens: list[int]) -> Path:
        h = hashlib.sha256(self.model_key.encode("utf-8"))
        h.update(struct.pack(f"<{len(tokens)}i", *tokens))
        return self.directory / f"{h.hexdigest()[:32]}.kv"

    def load(self, tokens: list[int], start: int) -> bytes | None:
        """The cells of positions ``start`` to ``len(tokens)`` after ``tokens[:start]``,
        or None when they are not stored (or their file is not whole)."""
        path = self.path(tokens)
        try:
            raw = path.read_bytes()
            os.utime(path)  # used now: the last to go when the directory is full
        except OSError:
            return None
        if not raw.startswith(MAGIC):
            return None
        header, _, cells = raw[len(MAGIC):].partition(b"\n")
        try:
            meta = json.loads(header)
        except ValueError:
            return None
        if meta != {"start": start, "end": len(tokens), "sha256": hashlib.sha256(cells).hexdigest()}:
            return None
        return cells

    def save(self, tokens: list[int], start: int, cells: bytes) -> None:
        """Store the cells of positions ``start`` to ``len(tokens)``; atomic, and quiet
        when the directory cannot be written (the segment is then evaluated next time)."""
        meta = {"start": start, "end": len(tokens), "sha256": hashlib.sha256(cells).hexdigest()}
        target = self.path(tokens)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(MAGIC + json.dumps(meta).encode("utf-8") + b"\n" + cells)
            os.replace(partial, target)
            self._trim()
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)

    def _trim(self) -> None:
        """Remove the least recently used files until the directory holds at most ``max_bytes``."""
        files = []
        for path in self.directory.glob("*.kv"):
            try:
                st = path.stat()
            except OSError:
                continue
            files.append((st.st_mtime_ns, st.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
