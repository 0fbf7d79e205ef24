"""Audio as the speech models want it: 16 kHz mono float32 in [-1, 1].

``read_wav`` reads a PCM WAV file of any common rate and channel count, mixes it
to mono and resamples it; ``as_float32`` checks and converts samples handed over
in memory (int16 as on the ``~/audio`` topic, or float); ``write_wav`` writes
16-bit mono PCM. Anything unusable raises :class:`AudioError` with a sentence
that says why.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Sequence

import numpy as np

SAMPLE_RATE = 16000
#: WAV files outside these rates are refused rather than resampled.
MIN_RATE, MAX_RATE = 8000, 192000


class AudioError(ValueError):
    """Audio that cannot be used: not a PCM WAV file, an unusable rate, bad samples."""


def as_float32(samples: np.ndarray | Sequence[int] | Sequence[float]) -> np.ndarray:
    """One channel of samples as float32 in [-1, 1]: int16 is scaled by 1/32768,
    floats are clipped; AudioError for other shapes or non-finite values."""
    array = np.asarray(samples)
    if array.ndim != 1:
        raise AudioError(f"expected one channel of samples (a 1-D array), got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.float32)
    if array.dtype == np.int16:
        return array.astype(np.float32) / 32768.0
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < -32768 or array.max() > 32767:
            raise AudioError("integer samples must be 16-bit (-32768..32767)")
        return array.astype(np.float32) / 32768.0
    if not np.issubdtype(array.dtype, np.floating):
        raise AudioError(f"samples must be int16 or float, not {array.dtype}")
    out = array.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise AudioError("samples contain NaN or infinity")
    return np.clip(out, -1.0, 1.0)


def to_int16(samples: np.ndarray) -> np.ndarray:
    """float32 in [-1, 1] to int16 (clipped)."""
    return np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32767.0), -32768, 32767).astype(np.int16)


def resample(samples: np.ndarray, rate_from: int, rate_to: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling of a whole recording (FFT: cut or zero-pad the spectrum)."""
    x = np.asarray(samples, dtype=np.float32)
    if rate_from == rate_to or x.size == 0:
        return x
    n_out = max(1, int(round(x.size * rate_to / rate_from)))
    spectrum = np.fft.rfft(x.astype(np.float64))
    out_spectrum = np.zeros(n_out // 2 + 1, dtype=np.complex128)
    keep = min(spectrum.size, out_spectrum.size)
    out_spectrum[:keep] = spectrum[:keep]
    y = np.fft.irfft(out_spectrum, n_out) * (n_out / x.size)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def read_wav(path: str | Path) -> np.ndarray:
    """A PCM WAV file (8/16/24/32-bit, any channels, 8-192 kHz) as 16 kHz mono float32.

    AudioError when the file is missing, not a PCM WAV file, or of an unusable rate.
    A file cut short (fewer frames than its header says) is read as far as it goes.
    """
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path} is a directory, not a WAV file") from None
    except (wave.Error, EOFError, OSError) as e:
        raise AudioError(f"{path} is not a PCM WAV file we can read ({e or 'empty'})") from None
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"{path}: sample rate {rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz; "
                         f"record at {SAMPLE_RATE} Hz")
    if channels < 1:
        raise AudioError(f"{path} has no audio channel")
    usable = len(raw) - len(raw) % (width * channels)
    raw = raw[:usable]
    if width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v)).astype(np.float32) / float(1 << 23)
    elif width == 4:
        x = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    else:
        raise AudioError(f"{path}: {8 * width}-bit samples are not supported")
    mono = x.reshape(-1, channels).mean(axis=1) if channels > 1 else x
    return resample(mono, rate, SAMPLE_RATE)


def write_wav(path: str | Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write float samples in [-1, 1] (or int16) as a 16-bit mono PCM WAV file."""
    path = Path(path)
    data = samples if np.asarray(samples).dtype == np.int16 else to_int16(samples)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(data, dtype="<i2").tobytes())
    return path
