"""Synthetic speech for tests and benchmarks: espeak-ng (Debian package ``espeak-ng``,
installed by ``make setup``) speaks a sentence; the result is 16 kHz mono float32."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

from agent_node.speech.audio import SAMPLE_RATE, AudioError, resample

ESPEAK = "espeak-ng"


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def speak(text: str, voice: str = "en-us", words_per_minute: int = 160, pitch: int = 50) -> np.ndarray:
    """``text`` spoken by espeak-ng, as 16 kHz mono float32 (AudioError when espeak-ng is missing or fails)."""
    if not espeak_available():
        raise AudioError(f"{ESPEAK} is not installed (Debian package espeak-ng; `make setup` installs it)")
    try:
        proc = subprocess.run([ESPEAK, "-v", voice, "-s", str(words_per_minute), "-p", str(pitch), "--stdout", text],
                              capture_output=True, timeout=120, check=True)
    except (subprocess.SubprocessError, OSError) as e:
        raise AudioError(f"{ESPEAK} failed: {e}") from None
    # to a pipe espeak-ng writes a WAV header whose sizes are placeholders: take the rate
    # from it and every sample after the "data" chunk header
    try:
        with wave.open(io.BytesIO(proc.stdout), "rb") as w:
            rate = w.getframerate()
    except (wave.Error, EOFError) as e:
        raise AudioError(f"{ESPEAK} wrote no WAV audio: {e}") from None
    raw = proc.stdout[proc.stdout.find(b"data") + 8:]
    x = np.frombuffer(raw[:len(raw) - len(raw) % 2], dtype="<i2").astype(np.float32) / 32768.0
    return resample(x, rate, SAMPLE_RATE)
