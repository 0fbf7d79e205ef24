"""Voice activity detection: Silero VAD (ONNX) on onnxruntime.

The model reads 16 kHz audio in frames of 512 samples (32 ms), each with the last
64 samples of the frame before as context, carries a recurrent state from frame
to frame, and gives the probability that the frame is speech. :class:`SileroVad`
keeps that state for a stream (``frame_probability``) and also scores a whole
recording (``probabilities``, ``speech_spans``) from a fresh state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent_node.speech.audio import SAMPLE_RATE, as_float32

FRAME = 512          # samples per frame at 16 kHz (32 ms)
CONTEXT = 64         # samples of the previous frame the model sees with each frame
FRAME_S = FRAME / SAMPLE_RATE


class SileroVad:
    """Loads the ONNX model once (sha256 checked; ModelFileError when missing or corrupt)."""

    def __init__(self, path: str | Path | None = None, threads: int = 1):
        from agent_node.files.model_files import onnx_session
        from agent_node.speech.speech_models import vad_spec

        model_path = Path(path) if path is not None else vad_spec().model.verified_path()
        self.session = onnx_session(model_path, threads, "VAD model")
        self.reset()

    def reset(self) -> None:
        """Forget the stream so far (state and context)."""
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def frame_probability(self, frame: np.ndarray) -> float:
        """Speech probability of the next frame of the stream (FRAME float32 samples)."""
        frame = np.asarray(frame, dtype=np.float32)
        if frame.shape != (FRAME,):
            raise ValueError(f"a VAD frame is {FRAME} samples, not {frame.shape}")
        x = np.concatenate([self._context, frame])[None, :]
        out, self._state = self.session.run(None, {"input": x, "state": self._state,
                                                   "sr": np.array(SAMPLE_RATE, dtype=np.int64)})
        self._context = frame[-CONTEXT:].copy()
        return float(out[0, 0])

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Speech probability of every frame of a whole recording (the last one zero-padded),
        from a fresh state; the stream state is left as it was."""
        x = as_float32(samples)
        saved = self._state, self._context
        self.reset()
        try:
            n = -(-x.size // FRAME)
            padded = np.zeros(n * FRAME, dtype=np.float32)
            padded[:x.size] = x
            return np.array([self.frame_probability(padded[i * FRAME:(i + 1) * FRAME]) for i in range(n)],
                            dtype=np.float32)
        finally:
            self._state, self._context = saved

    def speech_spans(self, samples: np.ndarray, threshold: float = 0.5, min_speech_s: float = 0.25,
                     min_silence_s: float = 0.3, pad_s: float = 0.1) -> list[tuple[int, int]]:
        """``[(start, end), ...]`` sample ranges of speech in a whole recording: frames at or above
        ``threshold`` start speech, frames below ``threshold - 0.15`` for ``min_silence_s`` end it;
        spans shorter than ``min_speech_s`` are dropped, the rest padded by ``pad_s`` each side."""
        x = as_float32(samples)
        probs = self.probabilities(x)
        return spans_from_probabilities(probs, x.size, threshold, min_speech_s, min_silence_s, pad_s)


def spans_from_probabilities(probs: np.ndarray, n_samples: int, threshold: float = 0.5,
                             min_speech_s: float = 0.25, min_silence_s: float = 0.3,
                             pad_s: float = 0.1) -> list[tuple[int, int]]:
    """Speech spans (sample ranges) from per-frame probabilities; see ``SileroVad.speech_spans``."""
    off = threshold - 0.15
    silence_frames = max(1, int(round(min_silence_s / FRAME_S)))
    spans: list[tuple[int, int]] = []
    start, quiet = None, 0
    for i, p in enumerate(probs):
        if start is None:
            if p >= threshold:
                start, quiet = i, 0
        elif p < off:
            quiet += 1
            if quiet >= silence_frames:
                spans.append((start, i + 1 - quiet))
                start = None
        elif p >= threshold:
            quiet = 0
    if start is not None:
        spans.append((start, len(probs) - quiet))
    pad = int(pad_s * SAMPLE_RATE)
    out = []
    for a, b in spans:
        if (b - a) * FRAME_S < min_speech_s:
            continue
        out.append((max(0, a * FRAME - pad), min(n_samples, b * FRAME + pad)))
    return out
