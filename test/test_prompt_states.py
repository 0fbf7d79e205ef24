"""Stored prompt states: files named by model and tokens, checked on load, kept under a size."""

from __future__ import annotations

import os

import pytest

from agent_node.planning.prompt_states import MAGIC, PromptStates, default_states_dir

TOKENS = [101, 7, 7, 42, 9000]


def test_cells_come_back_as_they_were_stored(tmp_path):
    states = PromptStates(tmp_path, "model-a")
    assert states.load(TOKENS, 2) is None
    states.save(TOKENS, 2, b"cells of 3 tokens")
    assert states.load(TOKENS, 2) == b"cells of 3 tokens"
    assert list(tmp_path.glob("*.partial")) == []


def test_a_file_is_named_by_the_model_and_every_token_up_to_the_end(tmp_path):
    a, b = PromptStates(tmp_path, "model-a"), PromptStates(tmp_path, "model-b")
    a.save(TOKENS, 2, b"x")
    assert b.load(TOKENS, 2) is None                   # another model (or llama.cpp build)
    assert a.load(TOKENS[:-1], 2) is None              # another segment end
    assert a.load([100, *TOKENS[1:]], 2) is None       # another prefix: the cells depend on it
    assert a.load(TOKENS, 1) is None                   # another segment start
    assert len({a.path(TOKENS), b.path(TOKENS), a.path(TOKENS[:-1])}) == 3


@pytest.mark.parametrize("damage", ["flip", "truncate", "magic", "header", "empty"])
def test_a_damaged_file_is_not_used(tmp_path, damage):
    states = PromptStates(tmp_path, "m")
    states.save(TOKENS, 0, b"0123456789" * 100)
    path = states.path(TOKENS)
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[-5] ^= 0xFF
    elif damage == "truncate":
        raw = raw[:-10]
    elif damage == "magic":
        raw[0:4] = b"GGUF"
    elif damage == "header":
        raw[len(MAGIC):len(MAGIC) + 3] = b"{{{"
    else:
        raw = bytearray()
    path.write_bytes(bytes(raw))
    assert states.load(TOKENS, 0) is None


def test_a_directory_that_cannot_be_written_is_no_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    states = PromptStates(blocker / "states", "m")
    states.save(TOKENS, 0, b"cells")          # quietly not stored
    assert states.load(TOKENS, 0) is None


def test_the_least_recently_used_files_go_when_the_directory_is_full(tmp_path):
    states = PromptStates(tmp_path, "m", max_bytes=2500)
    runs = [[i, i + 1] for i in range(4)]
    for i, tokens in enumerate(runs[:2]):
        states.save(tokens, 0, bytes(1000))
        os.utime(states.path(tokens), ns=(i * 10**9, i * 10**9))
    assert states.load(runs[0], 0) is not None   # a load makes the oldest the newest
    states.save(runs[2], 0, bytes(1000))        # over 2500 bytes: the least recently used goes
    assert states.load(runs[1], 0) is None
    assert states.load(runs[0], 0) is not None and states.load(runs[2], 0) is not None


def test_the_default_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("AGENT_NODE_STATES", str(tmp_path / "s"))
    assert default_states_dir() == tmp_path / "s"
    monkeypatch.delenv("AGENT_NODE_STATES")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_states_dir() == tmp_path / "agent_node" / "prompt_states"
