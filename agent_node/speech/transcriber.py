"""Speech to text on the robot: Whisper on whisper.cpp (pywhispercpp), loaded once.

:class:`Transcriber` turns 16 kHz mono audio into a :class:`Transcript`: the text,
how confident the model was, and a status that says whether to act on it. Nothing
in ``transcribe`` raises for bad audio: empty or silent audio, noise, speech too
long for one command, unusable samples and low-confidence recognition each give a
transcript whose ``status`` is not ``"ok"`` and whose ``reply`` asks the person to
say it again. Loading raises ModelFileError (a model missing or corrupt), and
``transcribe_file`` AudioError (a file that is missing or not a PCM WAV file).

Typical use (the CLI's ``agent-run --audio``; the ROS node does the same per utterance)::

    transcriber = Transcriber.load(catalog, names=world_names)   # once
    transcript = transcriber.transcribe_file("command.wav")      # or .transcribe(samples)
    if transcript.actionable:
        planner.plan(transcript.text)
    else:
        say(transcript.reply)
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from pathlib import Path
from typing import Iterable, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent_node.files.model_files import ModelFileError
from agent_node.speech.audio import SAMPLE_RATE, AudioError, as_float32, read_wav, resample

logger = logging.getLogger(__name__)

#: Whether ``Transcriber.load`` biases recognition with the catalog prompt by default.
USE_PROMPT = True
#: Below this confidence a transcript is not acted on (the person is asked to repeat).
MIN_CONFIDENCE = 0.5
#: Longer speech is not taken as one command (Whisper reads at most 30 s at once).
MAX_SPEECH_S = 20.0
#: Whisper's encoder sees 50 positions per second of audio; 1500 for its full 30 s window.
#: With ``fit_audio_ctx`` it reads only what the audio fills, but never fewer than
#: MIN_AUDIO_CTX positions (10 s): tiny.en loops on short commands with less.
AUDIO_CTX_PER_S, MIN_AUDIO_CTX, MAX_AUDIO_CTX = 50, 512, 1500
#: Whisper may loop ("go to the bathroom, go to the bathroom, ..."): decoding stops after
#: this many tokens plus TOKENS_PER_S per second of speech, and a transcript that repeats
#: itself back to back (see ``repeats_itself``) is not trusted.
BASE_TOKENS, TOKENS_PER_S = 16, 8
#: Audio kept around what the VAD took for speech (it misses quiet onsets).
SPEECH_PAD_S = 0.3
#: Speech is scaled to this peak before Whisper hears it (at most MAX_GAIN times louder).
TARGET_PEAK, MAX_GAIN = 0.9, 50.0
#: Silence put around speech before Whisper hears it (whisper.cpp refuses under 1 s).
EDGE_PAD_S, MIN_INPUT_S = 0.3, 1.5

Status = Literal["ok", "low_confidence", "no_speech", "too_long", "bad_audio"]

# Whisper writes sounds it does not take for words as [BLANK_AUDIO], (music), *cough*, ...
_NON_SPEECH = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|♪+")


class Transcript(BaseModel):
    """What was heard. ``text`` is what to plan from when ``status == "ok"``.

    - ``confidence``: geometric mean of the probabilities of the text tokens Whisper
      chose, in [0, 1] (0 when nothing was recognised).
    - ``duration_s``: seconds of audio handed in (the whole recording or utterance).
    - ``speech_s``: seconds of it Whisper heard: from the first to the last stretch the
      voice activity detector took for speech, with SPEECH_PAD_S around (the whole
      duration when no detector is used).
    - ``status``: ``ok`` (act on it), ``low_confidence`` (text is a guess),
      ``no_speech`` (silence, noise or empty audio), ``too_long`` (more than one
      command's worth of speech), ``bad_audio`` (samples that cannot be used; ``detail`` says why).
    """

    model_config = ConfigDict(extra="forbid")

    text: str = ""
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    duration_s: float = Field(0.0, ge=0.0)
    speech_s: float = Field(0.0, ge=0.0)
    status: Status = "ok"
    detail: str = ""

    @property
    def actionable(self) -> bool:
        """True when the text should be planned and acted on."""
        return self.status == "ok" and bool(self.text)

    @property
    def reply(self) -> str:
        """What to tell the person when the transcript is not acted on ("" when it is)."""
        if self.status == "ok":
            return ""
        if self.status == "low_confidence":
            return f'I am not sure I understood; I heard "{self.text}". Please say it again.'
        if self.status == "too_long":
            return (f"That was too long for one command ({self.speech_s:.0f} seconds). "
                    "Please say it again, shorter.")
        if self.status == "bad_audio":
            return f"I could not use that audio ({self.detail}). Please say it again."
        return "I did not hear a command. Please say it again."


class _WhisperLog:
    """whisper.cpp's log lines go to Python logging; errors during a load are kept to report."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, level: int, text: str, *_: object) -> None:
        text = str(text).rstrip()
        if level >= 4:  # GGML_LOG_LEVEL_ERROR
            self.errors.append(text)
        logger.debug("whisper.cpp: %s", text)


_log = _WhisperLog()


def repeats_itself(text: str) -> bool:
    """True when a run of words comes back to back: three times for runs of 1-2 words
    ("switch switch switch"), twice for runs of 3 or more ("where is Carol? Where is
    Carol?"), which is how Whisper's decoding loops look."""
    w = re.findall(r"[a-z0-9']+", text.lower())
    for n in range(1, len(w) // 2 + 1):
        copies = 3 if n <= 2 else 2
        for start in range(0, len(w) - copies * n + 1):
            unit = w[start:start + n]
            if all(w[start + k * n:start + (k + 1) * n] == unit for k in range(1, copies)):
                return True
    return False


def clean_text(text: str) -> str:
    """Whisper's text without non-speech annotations and extra spaces."""
    text = "".join(c for c in _NON_SPEECH.sub(" ", text) if c.isprintable() and c != "\ufffd")
    return re.sub(r"\s+", " ", text).strip(" ,")


class Transcriber:
    """Whisper (ggml, whisper.cpp) loaded once; thread-safe (one transcription at a time).

    ``prompt`` biases recognition (see :func:`catalog_prompt`); ``vad`` (a
    :class:`SileroVad`) finds the speech in a recording so silence and noise are
    never handed to Whisper, where it tends to invent words; ``fit_audio_ctx`` lets
    the encoder read only as much of its 30 s window as the audio fills, at least
    10 s of it (about three times faster on short commands).
    """

    def __init__(self, model: str | Path | None = None, prompt: str = "", threads: int = 2, vad=None,
                 min_confidence: float = MIN_CONFIDENCE, max_speech_s: float = MAX_SPEECH_S,
                 fit_audio_ctx: bool = True, language: str = "en"):
        from agent_node.speech.speech_models import whisper_model_path

        self.model_path = whisper_model_path(model)
        self.prompt = prompt
        self.threads = threads
        self.vad = vad
        self.min_confidence = min_confidence
        self.max_speech_s = max_speech_s
        self.fit_audio_ctx = fit_audio_ctx
        self.language = language
        self._lock = threading.Lock()
        self._model = self._load_whisper()

    @classmethod
    def load(cls, catalog=None, names: Iterable[str] = (), model: str | Path | None = None, threads: int = 2,
             use_vad: bool = True, use_prompt: bool = USE_PROMPT, **options) -> "Transcriber":
        """A transcriber for ``catalog`` (its words, and ``names``, bias recognition), with
        the Silero VAD unless ``use_vad`` is False. ModelFileError when a model is missing or corrupt."""
        from agent_node.speech.vad import SileroVad
        from agent_node.speech.vocabulary_prompt import catalog_prompt

        prompt = catalog_prompt(catalog, names) if (catalog is not None and use_prompt) else ""
        vad = SileroVad() if use_vad else None
        return cls(model, prompt=prompt, threads=threads, vad=vad, **options)

    def _load_whisper(self):
        # whisper.cpp's OpenMP threads spin while they wait; on a robot's few shared cores
        # (planner, ROS) that made transcription three times slower. The runtime reads its
        # wait policy once, when it starts: llama.cpp shares it (the system's libgomp), so
        # where the planner loads first (the node) its default applies, a short spin then
        # sleep. In one process OpenMP throttles that spin (more threads than cores), and
        # the policy made no measurable difference (README, Speech).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import _pywhispercpp as pw
            from pywhispercpp.model import Model
        except ImportError as e:
            raise ModelFileError(f"pywhispercpp is not installed ({e}); run `make setup`") from None
        pw.whisper_log_set(_log)
        _log.errors.clear()
        model = Model(str(self.model_path.resolve()), n_threads=self.threads, print_progress=False,
                      print_realtime=False, print_timestamps=False)
        if any("failed to load model" in line for line in _log.errors):
            model._ctx = None  # a NULL context: never hand it to whisper.cpp again
            raise ModelFileError(f"whisper.cpp cannot load {self.model_path}: "
                                 + "; ".join(_log.errors[-2:]))
        return model

    # -- transcribing -----------------------------------------------------------
    def transcribe_file(self, path: str | Path) -> Transcript:
        """A WAV file (any PCM rate and channels; resampled to 16 kHz mono).
        AudioError when the file is missing or not a readable PCM WAV file."""
        return self.transcribe(read_wav(path))

    def transcribe_utterance(self, utterance) -> Transcript:
        """An :class:`Utterance` from the :class:`UtteranceCutter`; one cut at its maximum
        length is ``too_long`` without being transcribed (the speaker had not finished)."""
        if utterance.ended_by == "max_length":
            return Transcript(duration_s=utterance.duration_s, speech_s=utterance.duration_s, status="too_long",
                              detail="the utterance reached the cutter's maximum length")
        return self.transcribe(utterance.samples)

    def transcribe(self, samples, sample_rate: int = SAMPLE_RATE) -> Transcript:
        """One recording or utterance: int16 or float samples, one channel, at
        ``sample_rate`` (resampled to 16 kHz when different). Never raises for bad audio."""
        try:
            x = as_float32(samples)
            if sample_rate != SAMPLE_RATE:
                if not 1000 <= sample_rate <= 384000:
                    raise AudioError(f"sample rate {sample_rate} Hz is not usable")
                x = resample(x, sample_rate, SAMPLE_RATE)
        except AudioError as e:
            return Transcript(status="bad_audio", detail=str(e))
        duration = x.size / SAMPLE_RATE
        if x.size == 0 or float(np.max(np.abs(x))) < 1e-4:
            return Transcript(duration_s=duration, status="no_speech", detail="silent or empty audio")
        speech = x
        if self.vad is not None:
            with self._lock:  # the VAD keeps state while it scores a recording
                spans = self.vad.speech_spans(x, pad_s=SPEECH_PAD_S)
            if not spans:
                return Transcript(duration_s=duration, status="no_speech", detail="no speech detected")
            speech = x[spans[0][0]:spans[-1][1]]
        speech_s = speech.size / SAMPLE_RATE
        if speech_s > self.max_speech_s:
            return Transcript(duration_s=duration, speech_s=speech_s, status="too_long",
                              detail=f"{speech_s:.1f} s of speech; at most {self.max_speech_s:g} s is one command")
        text, confidence = self._whisper(speech, self.prompt)
        if self.prompt and repeats_itself(text):
            # the prompt's word lists can set tiny.en looping: hear it once more without them
            text, confidence = self._whisper(speech, "")
        if not text:
            return Transcript(duration_s=duration, speech_s=speech_s, confidence=confidence,
                              status="no_speech", detail="no words recognised")
        if repeats_itself(text):
            return Transcript(text=text, confidence=confidence, duration_s=duration, speech_s=speech_s,
                              status="low_confidence", detail="the transcript repeats itself")
        status: Status = "ok" if confidence >= self.min_confidence else "low_confidence"
        return Transcript(text=text, confidence=confidence, duration_s=duration, speech_s=speech_s, status=status,
                          detail="" if status == "ok" else f"confidence {confidence:.2f} < {self.min_confidence:g}")

    def _whisper(self, speech: np.ndarray, prompt: str) -> tuple[str, float]:
        import _pywhispercpp as pw

        peak = float(np.max(np.abs(speech)))
        speech = speech * min(MAX_GAIN, TARGET_PEAK / peak)  # tiny.en mishears quiet speech
        pad = np.zeros(int(EDGE_PAD_S * SAMPLE_RATE), dtype=np.float32)
        audio = np.concatenate([pad, speech, pad])
        if audio.size < MIN_INPUT_S * SAMPLE_RATE:
            audio = np.concatenate([audio, np.zeros(int(MIN_INPUT_S * SAMPLE_RATE) - audio.size, np.float32)])
        audio_ctx = 0
        if self.fit_audio_ctx:
            audio_ctx = max(MIN_AUDIO_CTX, int(math.ceil(audio.size / SAMPLE_RATE * AUDIO_CTX_PER_S)) + 64)
            audio_ctx = 0 if audio_ctx >= MAX_AUDIO_CTX else audio_ctx
        with self._lock:
            segments = self._model.transcribe(
                np.ascontiguousarray(audio, dtype=np.float32), language=self.language, initial_prompt=prompt,
                no_context=True, single_segment=True, no_timestamps=True, audio_ctx=audio_ctx,
                max_tokens=int(BASE_TOKENS + TOKENS_PER_S * speech.size / SAMPLE_RATE),
                suppress_blank=True, suppress_nst=True, temperature=0.0, temperature_inc=0.0,
                greedy={"best_of": 1}, print_progress=False)
            ctx = self._model._ctx
            eot = pw.whisper_token_eot(ctx)
            logps = []
            for i in range(pw.whisper_full_n_segments(ctx)):
                for j in range(pw.whisper_full_n_tokens(ctx, i)):
                    if pw.whisper_full_get_token_id(ctx, i, j) < eot:  # text tokens only
                        logps.append(math.log(max(pw.whisper_full_get_token_p(ctx, i, j), 1e-12)))
        text = clean_text(" ".join(s.text for s in segments))
        confidence = math.exp(sum(logps) / len(logps)) if logps and text else 0.0
        return text, min(1.0, max(0.0, confidence))
