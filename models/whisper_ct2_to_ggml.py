#!/usr/bin/env python3
"""Convert a Whisper model from CTranslate2 (faster-whisper) format to whisper.cpp's ggml format.

    python models/whisper_ct2_to_ggml.py CT2_DIR OUT.bin

``CT2_DIR`` holds ``model.bin`` (a CTranslate2 ``WhisperSpec``), ``config.json`` and
``vocabulary.txt``. Only numpy is needed. What the conversion has to undo:

- CTranslate2 fuses attention projections: self-attention's query, key and value
  into one ``linear_0`` ([3d, d]); cross-attention's key and value into one
  ``linear_1`` ([2d, d]). They are split back into OpenAI's ``query``/``key``/``value``.
- Whisper's key projection has no bias; CTranslate2 stores a zero one in the fused
  bias, which is dropped (a key bias would not change attention anyway: it adds the
  same amount to every key's score of a query, and softmax ignores that).
- The mel filter bank is not stored: it is computed (80 bins, Slaney mel scale and
  Slaney area normalisation over a 400-point FFT at 16 kHz, as ``librosa.filters.mel``
  does, which is where Whisper's own ``mel_filters.npz`` comes from).
- The vocabulary is stored in GPT-2's byte-to-unicode spelling; ggml wants the raw
  bytes of each token up to ``<|endoftext|>`` included (whisper.cpp adds the other
  special tokens itself from the vocabulary size), as OpenAI's ``vocab.json`` had.

Tensors of two or more dimensions stay float16; the rest, the conv biases and the
positional embeddings are float32, as in whisper.cpp's own converter. The output is
byte-for-byte deterministic (the filter bank is computed in float64 with ``math``,
then rounded to float32), so its sha256 can be recorded. The file is written to
``OUT.bin.partial`` and renamed when complete.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from pathlib import Path

import numpy as np

GGML_MAGIC = 0x67676D6C  # "ggml"
CT2_BINARY_VERSION = 6
# CTranslate2's DataType enum, as stored in model.bin.
CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}

SAMPLE_RATE = 16000
N_FFT = 400


class ConversionError(ValueError):
    """The input is not a CTranslate2 Whisper model this converter understands."""


# --- reading CTranslate2 ---------------------------------------------------------

def read_ct2_model(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 ``model.bin`` (aliases resolved), by name."""
    data = Path(path).read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise ConversionError(f"{path} is truncated")
        value = struct.unpack_from(fmt, data, pos)
        pos += size
        return value[0] if len(value) == 1 else value

    def string() -> str:
        nonlocal pos
        n = take("<H")
        raw = data[pos:pos + n]
        if len(raw) != n or not raw.endswith(b"\0"):
            raise ConversionError(f"{path} is truncated or not a CTranslate2 model")
        pos += n
        return raw[:-1].decode("utf-8")

    version = take("<I")
    if version != CT2_BINARY_VERSION:
        raise ConversionError(f"{path}: CTranslate2 binary version {version}, this converter reads "
                              f"version {CT2_BINARY_VERSION}")
    spec = string()
    if spec != "WhisperSpec":
        raise ConversionError(f"{path} holds a {spec}, not a WhisperSpec")
    take("<I")  # spec revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(take("<I")):
        name = string()
        shape = [take("<I") for _ in range(take("<B"))]
        dtype_id = take("<B")
        n_bytes = take("<I")
        if dtype_id not in CT2_DTYPES:
            raise ConversionError(f"{path}: variable {name} has unsupported data type {dtype_id}")
        if pos + n_bytes > len(data):
            raise ConversionError(f"{path} is truncated")
        array = np.frombuffer(data, dtype=CT2_DTYPES[dtype_id], count=n_bytes // np.dtype(CT2_DTYPES[dtype_id]).itemsize,
                              offset=pos)
        pos += n_bytes
        variables[name] = array.reshape(shape) if shape else array.reshape(())
    for _ in range(take("<I")):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return variables


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def read_vocabulary(path: Path) -> list[bytes]:
    """The raw bytes of the tokens up to ``<|endoftext|>`` included."""
    tokens = Path(path).read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    try:
        n_ordinary = tokens.index("<|endoftext|>") + 1
    except ValueError:
        raise ConversionError(f"{path} has no <|endoftext|> token") from None
    decoder = {c: b for b, c in bytes_to_unicode().items()}
    try:
        return [bytes(decoder[c] for c in token) for token in tokens[:n_ordinary]]
    except KeyError as e:
        raise ConversionError(f"{path}: a token has a character outside GPT-2's byte alphabet: {e}") from None


# --- the mel filter bank ---------------------------------------------------------

def _hz_to_mel(f: float) -> float:
    """Slaney's mel scale (linear below 1 kHz, logarithmic above), as librosa's default."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    if f < min_log_hz:
        return f / f_sp
    return min_log_hz / f_sp + math.log(f / min_log_hz) / (math.log(6.4) / 27.0)


def _mel_to_hz(m: float) -> float:
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel = min_log_hz / f_sp
    if m < min_log_mel:
        return f_sp * m
    return min_log_hz * math.exp(math.log(6.4) / 27.0 * (m - min_log_mel))


def mel_filters(n_mels: int = 80, sr: int = SAMPLE_RATE, n_fft: int = N_FFT) -> np.ndarray:
    """``[n_mels, n_fft // 2 + 1]`` float32: ``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)``."""
    fmax = sr / 2.0
    fft_freqs = np.array([i * sr / n_fft for i in range(n_fft // 2 + 1)], dtype=np.float64)
    lo, hi = _hz_to_mel(0.0), _hz_to_mel(fmax)
    mel_f = np.array([_mel_to_hz(lo + (hi - lo) * i / (n_mels + 1)) for i in range(n_mels + 2)], dtype=np.float64)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    weights = np.zeros((n_mels, len(fft_freqs)), dtype=np.float64)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


# --- mapping to OpenAI / ggml names ---------------------------------------------

def _split(array: np.ndarray, parts: int) -> list[np.ndarray]:
    if array.shape[0] % parts:
        raise ConversionError(f"cannot split a fused projection of {array.shape[0]} rows in {parts}")
    return np.split(array, parts, axis=0)


def ggml_tensors(v: dict[str, np.ndarray], n_audio_layer: int, n_text_layer: int) -> list[tuple[str, np.ndarray]]:
    """The tensors of the ggml file, OpenAI-named, in OpenAI's state-dict order."""
    out: list[tuple[str, np.ndarray]] = []

    def ln(name: str, src: str) -> None:
        out.append((f"{name}.weight", v[f"{src}/gamma"]))
        out.append((f"{name}.bias", v[f"{src}/beta"]))

    def linear(name: str, src: str, bias: bool = True) -> None:
        out.append((f"{name}.weight", v[f"{src}/weight"]))
        if bias:
            out.append((f"{name}.bias", v[f"{src}/bias"]))

    def fused(prefix: str, src: str, names: list[str]) -> None:
        for name, w, b in zip(names, _split(v[f"{src}/weight"], len(names)), _split(v[f"{src}/bias"], len(names))):
            out.append((f"{prefix}.{name}.weight", w))
            if name != "key":  # whisper has no key bias
                out.append((f"{prefix}.{name}.bias", b))

    def attention_out(prefix: str, src: str) -> None:
        linear(f"{prefix}.out", src)

    def mlp(prefix: str, src: str) -> None:
        linear(f"{prefix}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{prefix}.mlp.2", f"{src}/ffn/linear_1")
        ln(f"{prefix}.mlp_ln", f"{src}/ffn/layer_norm")

    out.append(("encoder.positional_embedding", v["encoder/position_encodings/encodings"]))
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    for i in range(n_audio_layer):
        p, s = f"encoder.blocks.{i}", f"encoder/layer_{i}"
        fused(f"{p}.attn", f"{s}/self_attention/linear_0", ["query", "key", "value"])
        attention_out(f"{p}.attn", f"{s}/self_attention/linear_1")
        ln(f"{p}.attn_ln", f"{s}/self_attention/layer_norm")
        mlp(p, s)
    ln("encoder.ln_post", "encoder/layer_norm")

    out.append(("decoder.positional_embedding", v["decoder/position_encodings/encodings"]))
    out.append(("decoder.token_embedding.weight", v["decoder/embeddings/weight"]))
    for i in range(n_text_layer):
        p, s = f"decoder.blocks.{i}", f"decoder/layer_{i}"
        fused(f"{p}.attn", f"{s}/self_attention/linear_0", ["query", "key", "value"])
        attention_out(f"{p}.attn", f"{s}/self_attention/linear_1")
        ln(f"{p}.attn_ln", f"{s}/self_attention/layer_norm")
        linear(f"{p}.cross_attn.query", f"{s}/attention/linear_0")
        fused(f"{p}.cross_attn", f"{s}/attention/linear_1", ["key", "value"])
        attention_out(f"{p}.cross_attn", f"{s}/attention/linear_2")
        ln(f"{p}.cross_attn_ln", f"{s}/attention/layer_norm")
        mlp(p, s)
    ln("decoder.ln", "decoder/layer_norm")
    return out


def _layers(v: dict[str, np.ndarray], side: str) -> int:
    n = 0
    while f"{side}/layer_{n}/ffn/linear_0/weight" in v:
        n += 1
    if n == 0:
        raise ConversionError(f"the model has no {side} layers")
    return n


def hparams(v: dict[str, np.ndarray]) -> dict[str, int]:
    """whisper.cpp's header fields, read off the tensor shapes."""
    try:
        n_vocab, n_text_state = v["decoder/embeddings/weight"].shape
        n_audio_ctx, n_audio_state = v["encoder/position_encodings/encodings"].shape
        n_text_ctx = v["decoder/position_encodings/encodings"].shape[0]
        n_mels = v["encoder/conv1/weight"].shape[1]
        return {
            "n_vocab": int(n_vocab), "n_audio_ctx": int(n_audio_ctx), "n_audio_state": int(n_audio_state),
            "n_audio_head": int(v["encoder/num_heads"]), "n_audio_layer": _layers(v, "encoder"),
            "n_text_ctx": int(n_text_ctx), "n_text_state": int(n_text_state),
            "n_text_head": int(v["decoder/num_heads"]), "n_text_layer": _layers(v, "decoder"),
            "n_mels": int(n_mels),
        }
    except KeyError as e:
        raise ConversionError(f"the model lacks the variable {e}") from None


HPARAM_ORDER = ["n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
                "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels"]
FLOAT32_TENSORS = {"encoder.conv1.bias", "encoder.conv2.bias",
                   "encoder.positional_embedding", "decoder.positional_embedding"}


def convert(ct2_dir: Path, out: Path) -> Path:
    """Write the ggml file for the CTranslate2 model in ``ct2_dir`` to ``out``."""
    ct2_dir, out = Path(ct2_dir), Path(out)
    for name in ("model.bin", "vocabulary.txt"):
        if not (ct2_dir / name).is_file():
            raise ConversionError(f"{ct2_dir} has no {name}")
    v = read_ct2_model(ct2_dir / "model.bin")
    hp = hparams(v)
    tokens = read_vocabulary(ct2_dir / "vocabulary.txt")
    try:
        tensors = ggml_tensors(v, hp["n_audio_layer"], hp["n_text_layer"])
    except KeyError as e:
        raise ConversionError(f"the model lacks the variable {e}") from None
    filters = mel_filters(hp["n_mels"])

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with open(partial, "wb") as f:
        f.write(struct.pack("<i", GGML_MAGIC))
        f.write(struct.pack("<" + "i" * len(HPARAM_ORDER), *(hp[k] for k in HPARAM_ORDER)))
        f.write(struct.pack("<i", 1))  # ftype: float16 weights
        f.write(struct.pack("<ii", *filters.shape))
        f.write(filters.astype("<f4").tobytes())
        f.write(struct.pack("<i", len(tokens)))
        for token in tokens:
            f.write(struct.pack("<i", len(token)))
            f.write(token)
        for name, array in tensors:
            data = np.asarray(array)
            if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
                data = data.reshape(data.shape[0], 1)
            if data.ndim < 2 or name in FLOAT32_TENSORS:
                data, ftype = data.astype("<f4"), 0
            else:
                data, ftype = data.astype("<f2"), 1
            encoded = name.encode("utf-8")
            f.write(struct.pack("<iii", data.ndim, len(encoded), ftype))
            f.write(struct.pack("<" + "i" * data.ndim, *reversed(data.shape)))
            f.write(encoded)
            f.write(np.ascontiguousarray(data).tobytes())
    os.replace(partial, out)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python models/whisper_ct2_to_ggml.py CT2_DIR OUT.bin", file=sys.stderr)
        return 2
    try:
        path = convert(Path(args[0]), Path(args[1]))
    except (ConversionError, OSError) as e:
        print(f"whisper_ct2_to_ggml: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
