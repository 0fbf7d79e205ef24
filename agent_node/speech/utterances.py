"""Cutting a stream of audio into utterances with voice activity detection.

:class:`UtteranceCutter` takes 16 kHz mono int16 chunks of any size as they arrive
(the ``~/audio`` topic: ``std_msgs/Int16MultiArray``) and gives back each
:class:`Utterance` once it is over: when the speaker has been quiet for
``end_silence_s``, when it reaches ``max_utterance_s`` (then the rest of that
monologue, up to the next pause, is dropped, so one ramble gives one utterance),
or when the stream is flushed. Each utterance keeps ``pad_s`` of audio before its
first and after its last speech frame. Bursts with less than ``min_speech_s`` of
speech (clicks, a cough) are dropped.

Typical use in a node (``agent_node.ros.node`` does this for ``~/audio``)::

    cutter = UtteranceCutter()                      # its own SileroVad: one per stream
    for utterance in cutter.feed(msg.data):         # AudioError for a malformed chunk
        transcript = transcriber.transcribe_utterance(utterance)   # in a worker thread
"""

from __future__ import annotations

from collections import deque
from typing import Literal, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from agent_node.speech.audio import SAMPLE_RATE, AudioError, as_float32, to_int16
from agent_node.speech.vad import FRAME, FRAME_S, SileroVad

EndedBy = Literal["silence", "max_length", "end_of_stream"]


class Utterance(BaseModel):
    """One utterance: 16 kHz mono int16 ``samples`` starting ``start_s`` seconds into the
    stream; ``ended_by`` says why it was cut (``max_length``: the speaker went on longer)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    samples: np.ndarray
    start_s: float
    ended_by: EndedBy

    @property
    def duration_s(self) -> float:
        return self.samples.size / SAMPLE_RATE


def as_int16(chunk: np.ndarray | Sequence[int]) -> np.ndarray:
    """A chunk as int16 (int16 kept as is; other ints range-checked; floats scaled);
    AudioError for anything that is not one channel of samples."""
    array = np.asarray(chunk)
    if array.dtype == np.int16 and array.ndim == 1:
        return array
    return to_int16(as_float32(array))


class UtteranceCutter:
    """Streamed 16 kHz mono int16 chunks in, whole :class:`Utterance` objects out."""

    def __init__(self, vad: SileroVad | None = None, max_utterance_s: float = 15.0, end_silence_s: float = 0.6,
                 min_speech_s: float = 0.25, pad_s: float = 0.3, threshold: float = 0.5):
        if max_utterance_s <= 0 or end_silence_s <= 0:
            raise ValueError("max_utterance_s and end_silence_s must be positive")
        self.vad = vad if vad is not None else SileroVad()
        self.max_frames = max(1, int(max_utterance_s / FRAME_S))
        self.end_silence_frames = max(1, int(round(end_silence_s / FRAME_S)))
        self.min_speech_frames = max(1, int(round(min_speech_s / FRAME_S)))
        self.pad_frames = int(round(pad_s / FRAME_S))
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        """Forget the stream: nothing pending, nothing in progress."""
        self.vad.reset()
        self._pending = np.zeros(0, dtype=np.int16)
        self._frames_seen = 0
        self._state: Literal["idle", "speaking", "overflow"] = "idle"
        self._pre: deque[np.ndarray] = deque(maxlen=max(self.pad_frames, 1))
        self._buf: list[np.ndarray] = []
        self._start_frame = 0
        self._speech_frames = 0
        self._quiet = 0

    @property
    def in_speech(self) -> bool:
        """True while an utterance is in progress (or a too-long one is being skipped)."""
        return self._state != "idle"

    def feed(self, chunk: np.ndarray | Sequence[int]) -> list[Utterance]:
        """Add a chunk of samples; the utterances that ended within it, in order.
        AudioError for a chunk that is not one channel of 16-bit samples (the stream is unchanged)."""
        samples = as_int16(chunk)
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        n = data.size // FRAME
        out: list[Utterance] = []
        for i in range(n):
            utterance = self._step(data[i * FRAME:(i + 1) * FRAME])
            if utterance is not None:
                out.append(utterance)
        self._pending = data[n * FRAME:].copy()
        return out

    def flush(self) -> list[Utterance]:
        """End of stream: the utterance in progress (if it has enough speech), then reset."""
        out: list[Utterance] = []
        if self._pending.size:
            frame = np.zeros(FRAME, dtype=np.int16)
            frame[:self._pending.size] = self._pending
            self._pending = np.zeros(0, dtype=np.int16)
            utterance = self._step(frame)
            if utterance is not None:
                out.append(utterance)
        if self._state == "speaking":
            utterance = self._finish("end_of_stream")
            if utterance is not None:
                out.append(utterance)
        self.reset()
        return out

    # -- the state machine, one 32 ms frame at a time ------------------------------------
    def _step(self, frame: np.ndarray) -> Utterance | None:
        p = self.vad.frame_probability(frame.astype(np.float32) / 32768.0)
        self._frames_seen += 1
        speech = p >= self.threshold
        quiet = p < self.threshold - 0.15
        if self._state == "idle":
            if speech:
                self._state = "speaking"
                self._buf = list(self._pre) + [frame]
                self._start_frame = self._frames_seen - len(self._buf)
                self._speech_frames, self._quiet = 1, 0
            elif self.pad_frames:
                self._pre.append(frame)
            return None
        if speech:
            self._quiet = 0
        elif quiet or self._quiet:
            self._quiet += 1
        if self._state == "overflow":
            if self._quiet >= self.end_silence_frames:
                self._state = "idle"
                self._pre.clear()
            return None
        self._buf.append(frame)
        self._speech_frames += speech
        if self._quiet >= self.end_silence_frames:
            return self._finish("silence")
        if len(self._buf) >= self.max_frames:
            utterance = self._finish("max_length")
            self._state, self._quiet = "overflow", 0
            return utterance
        return None

    def _finish(self, ended_by: EndedBy) -> Utterance | None:
        keep = len(self._buf) - max(0, self._quiet - self.pad_frames)
        frames = self._buf[:keep]
        enough = self._speech_frames >= self.min_speech_frames
        self._state = "idle"
        self._pre.clear()
        for f in self._buf[-self.pad_frames:] if self.pad_frames else []:
            self._pre.append(f)
        self._buf, self._quiet, self._speech_frames = [], 0, 0
        if not enough or not frames:
            return None
        return Utterance(samples=np.concatenate(frames), start_s=self._start_frame * FRAME_S, ended_by=ended_by)


__all__ = ["AudioError", "Utterance", "UtteranceCutter", "as_int16"]
