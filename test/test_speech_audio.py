"""Speech without Whisper: reading WAV files, the Silero VAD, cutting streamed audio
into utterances, the catalog prompt, the speech model registry and the
CTranslate2 -> ggml converter (on a tiny synthetic model, and the real one's sha256)."""

from __future__ import annotations

import json
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from agent_node.catalog.skills import load_catalog
from agent_node.files.model_files import ModelFileError, sha256_of
from agent_node.speech import speech_models
from agent_node.speech.audio import SAMPLE_RATE, AudioError, as_float32, read_wav, resample, write_wav
from agent_node.speech.espeak import espeak_available, speak
from agent_node.speech.utterances import UtteranceCutter
from agent_node.speech.vad import SileroVad
from agent_node.speech.vocabulary_prompt import catalog_prompt

needs_espeak = pytest.mark.skipif(not espeak_available(), reason="espeak-ng missing (make setup installs it)")
RNG = np.random.default_rng(0)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def tone(seconds: float, hz: float = 440.0, rate: int = SAMPLE_RATE, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


# -- audio -----------------------------------------------------------------------------

def write_pcm(path: Path, data: bytes, rate: int, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)
    return path


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_read_wav_resamples_any_common_rate_to_16k(tmp_path, rate):
    x = tone(1.0, 440.0, rate)
    y = read_wav(write_pcm(tmp_path / "a.wav", (x * 32767).astype("<i2").tobytes(), rate))
    assert abs(y.size - SAMPLE_RATE) <= 1
    # still a 440 Hz tone of the same loudness
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / y.size - 440.0) < 2.0
    assert abs(np.sqrt(np.mean(y[1000:-1000] ** 2)) - 0.5 / np.sqrt(2)) < 0.02


def test_read_wav_mixes_stereo_and_reads_8_24_32_bit(tmp_path):
    left, right = tone(0.5, 300.0), np.zeros(8000, dtype=np.float32)
    stereo = np.stack([left, right], axis=1)
    y = read_wav(write_pcm(tmp_path / "s.wav", (stereo * 32767).astype("<i2").tobytes(), SAMPLE_RATE, channels=2))
    assert np.allclose(y, left / 2, atol=1e-3)
    x = tone(0.5, 300.0)
    u8 = np.clip(np.round(x * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    assert np.allclose(read_wav(write_pcm(tmp_path / "8.wav", u8, SAMPLE_RATE, width=1)), x, atol=0.01)
    i32 = np.round(x * 2**31 * 0.99).astype("<i4")
    assert np.allclose(read_wav(write_pcm(tmp_path / "32.wav", i32.tobytes(), SAMPLE_RATE, width=4)), x * 0.99,
                       atol=1e-4)
    i24 = b"".join(int(v).to_bytes(4, "little", signed=True)[:3] for v in np.round(x * 2**23 * 0.99).astype(int))
    assert np.allclose(read_wav(write_pcm(tmp_path / "24.wav", i24, SAMPLE_RATE, width=3)), x * 0.99, atol=1e-4)


def test_unusable_wav_files_raise_audio_error_saying_why(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        read_wav(tmp_path / "missing.wav")
    (tmp_path / "noise.wav").write_bytes(RNG.bytes(5000))
    with pytest.raises(AudioError, match="not a PCM WAV"):
        read_wav(tmp_path / "noise.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="not a PCM WAV"):
        read_wav(tmp_path / "empty.wav")
    with pytest.raises(AudioError, match="4000 Hz"):
        read_wav(write_pcm(tmp_path / "low.wav", b"\0\0" * 4000, 4000))
    with pytest.raises(AudioError, match="directory"):
        read_wav(tmp_path)


def test_a_wav_file_cut_short_is_read_as_far_as_it_goes(tmp_path):
    path = write_wav(tmp_path / "t.wav", tone(1.0))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2 + 1])  # header promises 1 s, half is there (odd byte)
    y = read_wav(path)
    assert 0.45 * SAMPLE_RATE < y.size < 0.55 * SAMPLE_RATE
    assert read_wav(write_wav(tmp_path / "e.wav", np.zeros(0, np.float32))).size == 0


def test_as_float32_checks_samples():
    assert as_float32(np.array([-32768, 0, 16384], dtype=np.int16)).tolist() == [-1.0, 0.0, 0.5]
    assert as_float32([0, 16384]).tolist() == [0.0, 0.5]          # a list of ints, as in Int16MultiArray
    assert as_float32(np.array([2.0, -3.0])).tolist() == [1.0, -1.0]
    for bad, why in [(np.zeros((2, 10)), "1-D"), (np.array([0.0, np.nan]), "NaN"), ([70000], "16-bit"),
                     (np.array(["a"]), "int16 or float")]:
        with pytest.raises(AudioError, match=why):
            as_float32(bad)


def test_resample_keeps_length_ratio_and_content():
    x = tone(0.5, 1000.0, 48000)
    y = resample(x, 48000, SAMPLE_RATE)
    assert y.size == 8000
    assert np.allclose(resample(y, SAMPLE_RATE, 48000)[2000:-2000], x[2000:-2000], atol=0.02)


# -- VAD and utterance cutting ----------------------------------------------------------

@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, np.ndarray]:
    if not espeak_available():
        pytest.skip("espeak-ng missing (make setup installs it)")
    return speak("go to the kitchen"), speak("is the front door open")


def test_vad_hears_speech_but_not_silence_noise_or_tones(vad, speech):
    a, _ = speech
    spans = vad.speech_spans(np.concatenate([silence(1), a, silence(1)]))
    assert len(spans) == 1
    start, end = spans[0]
    assert abs(start / SAMPLE_RATE - 1.0) < 0.3 and abs(end / SAMPLE_RATE - (1.0 + a.size / SAMPLE_RATE)) < 0.4
    for quiet in [silence(2), RNG.normal(0, 0.05, 32000), RNG.uniform(-1, 1, 32000), tone(2, 100), tone(2, 1000)]:
        assert vad.speech_spans(quiet.astype(np.float32)) == []


def test_vad_model_missing_or_corrupt_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="VAD"):
        SileroVad(tmp_path / "missing.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    with pytest.raises(ModelFileError, match="VAD"):
        SileroVad(tmp_path / "bad.onnx")


def stream(cutter: UtteranceCutter, samples: np.ndarray, seed: int = 1) -> list:
    """Feed int16 samples in chunks of random sizes, then flush."""
    data = np.round(samples * 32767).astype(np.int16)
    rng, out, i = np.random.default_rng(seed), [], 0
    while i < data.size:
        n = int(rng.integers(1, 3000))
        out += cutter.feed(data[i:i + n])
        i += n
    return out + cutter.flush()


def test_cutter_gives_each_utterance_once_it_ends_with_its_time(vad, speech):
    a, b = speech
    audio = np.concatenate([silence(1), a, silence(1.5), b, silence(1)])
    utterances = stream(UtteranceCutter(SileroVad()), audio)
    assert [u.ended_by for u in utterances] == ["silence", "silence"]
    assert abs(utterances[0].start_s - 1.0) < 0.4
    assert abs(utterances[1].start_s - (2.5 + a.size / SAMPLE_RATE)) < 0.4
    for u, said in zip(utterances, (a, b)):
        assert u.samples.dtype == np.int16
        assert said.size / SAMPLE_RATE - 0.3 < u.duration_s < said.size / SAMPLE_RATE + 0.6


def test_cutting_does_not_depend_on_chunk_sizes(speech):
    a, b = speech
    audio = np.concatenate([silence(0.5), a, silence(1), b, silence(0.2)])
    cutter = UtteranceCutter(SileroVad())
    first = stream(cutter, audio, seed=1)
    second = stream(cutter, audio, seed=7)   # flush() reset the cutter
    whole = cutter.feed(np.round(audio * 32767).astype(np.int16)) + cutter.flush()
    assert len(first) == len(second) == len(whole) == 2
    for x, y, z in zip(first, second, whole):
        assert np.array_equal(x.samples, y.samples) and np.array_equal(x.samples, z.samples)
        assert x.start_s == y.start_s == z.start_s


def test_cutter_stops_a_monologue_at_the_maximum_length_and_skips_the_rest(speech):
    a, b = speech
    monologue = np.concatenate([a, b] * 6)          # about 15 s, pauses shorter than end_silence_s
    audio = np.concatenate([silence(0.5), monologue, silence(1.0), a, silence(1.0)])
    utterances = stream(UtteranceCutter(SileroVad(), max_utterance_s=4.0, end_silence_s=1.0), audio)
    assert utterances[0].ended_by == "max_length" and utterances[0].duration_s <= 4.0
    assert utterances[-1].ended_by == "silence"
    assert abs(utterances[-1].duration_s - a.size / SAMPLE_RATE) < 0.6
    assert len(utterances) == 2                     # the rest of the monologue was dropped


def test_cutter_flushes_speech_in_progress_and_ignores_silence_noise_and_clicks(speech):
    a, _ = speech
    cutter = UtteranceCutter(SileroVad())
    assert stream(cutter, np.concatenate([silence(0.5), a]))[-1].ended_by == "end_of_stream"
    click = np.zeros(16000, np.float32)
    click[8000:8040] = 0.9
    for quiet in [silence(3), RNG.normal(0, 0.05, 48000).astype(np.float32), click]:
        assert stream(cutter, quiet) == []
    assert cutter.flush() == [] and not cutter.in_speech


def test_a_malformed_chunk_is_refused_and_leaves_the_stream_as_it_was(speech):
    a, _ = speech
    cutter = UtteranceCutter(SileroVad())
    data = np.round(np.concatenate([silence(0.5), a, silence(1)]) * 32767).astype(np.int16)
    got = cutter.feed(data[:5000])
    for bad in [np.zeros((2, 100), np.int16), np.array([np.nan]), [70000], ["x"]]:
        with pytest.raises(AudioError):
            cutter.feed(bad)
    got += cutter.feed(data[5000:].tolist()) + cutter.flush()   # a plain list of ints works too
    assert len(got) == 1 and got[0].ended_by == "silence"


# -- the catalog prompt -----------------------------------------------------------------

def test_catalog_prompt_has_skill_words_enum_values_and_names_within_its_length():
    catalog = load_catalog()
    prompt = catalog_prompt(catalog, ["Alice", "the red cup"])
    assert "_" not in prompt
    for word in ["hand over", "navigate to", "send message", "the living room", "the garage door", "Alice",
                 "the red cup"]:
        assert word in prompt
    short = catalog_prompt(catalog, [f"name{i}" for i in range(200)], max_chars=600)
    assert len(short) <= 600 and "name0" in short and "name199" not in short


# -- the model registry and the converter ------------------------------------------------

def test_registered_speech_models_are_checked_by_sha256(tmp_path, monkeypatch):
    spec = speech_models.whisper_spec()
    assert spec.default and spec.path.name == "ggml-tiny.en.bin"
    assert speech_models.vad_spec().model.verified_path().name == "silero_vad.onnx"
    fake = tmp_path / "ggml-tiny.en.bin"
    monkeypatch.setattr(speech_models.WhisperSpec, "path", property(lambda self: fake))
    with pytest.raises(ModelFileError, match="missing.*make setup"):
        speech_models.whisper_model_path()
    fake.write_bytes(b"lmgg" + bytes(spec.bytes - 4))
    with pytest.raises(ModelFileError, match="corrupt"):
        speech_models.whisper_model_path()
    with pytest.raises(ModelFileError, match="no whisper model 'large'"):
        speech_models.whisper_model_path("large")
    (tmp_path / "x.bin").write_bytes(b"GGUF")
    with pytest.raises(ModelFileError, match="not a whisper.cpp ggml"):
        speech_models.whisper_model_path(tmp_path / "x.bin")
    with pytest.raises(ModelFileError, match="missing"):
        speech_models.whisper_model_path(tmp_path / "y.bin")


def test_prepare_skips_a_converted_model_that_is_right():
    path = speech_models.prepare()
    before = path.stat().st_mtime_ns
    assert speech_models.prepare() == path and path.stat().st_mtime_ns == before
    from agent_node.cli.models import main
    assert main(["prepare"]) == 0


def test_converting_the_packaged_model_again_gives_the_registered_sha256(tmp_path):
    spec = speech_models.whisper_spec()
    source = spec.convert_from[0].verified_path().parent
    out = speech_models.converter().convert(source, tmp_path / "tiny.bin")
    assert out.stat().st_size == spec.bytes and sha256_of(out) == spec.sha256


# A tiny CTranslate2 Whisper model, written the way CTranslate2 writes model.bin (version 6).
D, HEADS, VOCAB_TEXT, N_MELS, AUDIO_CTX, TEXT_CTX = 8, 2, ["!", "Ġthe", "Ã©", "<|endoftext|>", "<|startoftranscript|>"], 80, 6, 4


def ct2_variables(rng) -> dict[str, np.ndarray]:
    def w(*shape):
        return rng.normal(size=shape).astype(np.float16)
    v: dict[str, np.ndarray] = {
        "encoder/conv1/weight": w(D, N_MELS, 3), "encoder/conv1/bias": w(D),
        "encoder/conv2/weight": w(D, D, 3), "encoder/conv2/bias": w(D),
        "encoder/position_encodings/encodings": w(AUDIO_CTX, D), "encoder/num_heads": np.array(HEADS, np.int16),
        "encoder/layer_norm/gamma": w(D), "encoder/layer_norm/beta": w(D),
        "decoder/embeddings/weight": w(len(VOCAB_TEXT), D), "decoder/position_encodings/encodings": w(TEXT_CTX, D),
        "decoder/num_heads": np.array(HEADS, np.int16), "decoder/layer_norm/gamma": w(D),
        "decoder/layer_norm/beta": w(D), "decoder/scale_embeddings": np.array(0, np.int8),
    }
    for side, attns in (("encoder", ["self_attention"]), ("decoder", ["self_attention", "attention"])):
        p = f"{side}/layer_0"
        for a in attns:
            v[f"{p}/{a}/layer_norm/gamma"], v[f"{p}/{a}/layer_norm/beta"] = w(D), w(D)
        v[f"{p}/self_attention/linear_0/weight"], v[f"{p}/self_attention/linear_0/bias"] = w(3 * D, D), w(3 * D)
        v[f"{p}/self_attention/linear_1/weight"], v[f"{p}/self_attention/linear_1/bias"] = w(D, D), w(D)
        v[f"{p}/ffn/layer_norm/gamma"], v[f"{p}/ffn/layer_norm/beta"] = w(D), w(D)
        v[f"{p}/ffn/linear_0/weight"], v[f"{p}/ffn/linear_0/bias"] = w(4 * D, D), w(4 * D)
        v[f"{p}/ffn/linear_1/weight"], v[f"{p}/ffn/linear_1/bias"] = w(D, 4 * D), w(D)
    p = "decoder/layer_0/attention"
    v[f"{p}/linear_0/weight"], v[f"{p}/linear_0/bias"] = w(D, D), w(D)
    v[f"{p}/linear_1/weight"], v[f"{p}/linear_1/bias"] = w(2 * D, D), w(2 * D)
    v[f"{p}/linear_2/weight"], v[f"{p}/linear_2/bias"] = w(D, D), w(D)
    return v


def write_ct2(directory: Path, variables: dict[str, np.ndarray], spec: str = "WhisperSpec") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    dtype_ids = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.float16): 4}

    def string(s: str) -> bytes:
        return struct.pack("<H", len(s) + 1) + s.encode() + b"\0"
    out = [struct.pack("<I", 6), string(spec), struct.pack("<I", 3), struct.pack("<I", len(variables))]
    for name, value in variables.items():
        out += [string(name), struct.pack("<B", value.ndim), *(struct.pack("<I", d) for d in value.shape),
                struct.pack("<B", dtype_ids[value.dtype]), struct.pack("<I", value.nbytes), value.tobytes()]
    out += [struct.pack("<I", 1), string("decoder/projection/weight"), string("decoder/embeddings/weight")]
    (directory / "model.bin").write_bytes(b"".join(out))
    (directory / "vocabulary.txt").write_text("\n".join(VOCAB_TEXT) + "\n", encoding="utf-8")
    (directory / "config.json").write_text(json.dumps({}), encoding="utf-8")
    return directory


def read_ggml(path: Path) -> tuple[list[int], np.ndarray, list[bytes], dict[str, tuple[int, np.ndarray]]]:
    data, pos = path.read_bytes(), 0

    def ints(n):
        nonlocal pos
        vals = struct.unpack_from(f"<{n}i", data, pos)
        pos += 4 * n
        return list(vals)
    assert ints(1)[0] == 0x67676D6C
    hparams = ints(11)
    rows, cols = ints(2)
    filters = np.frombuffer(data, "<f4", rows * cols, pos).reshape(rows, cols)
    pos += 4 * rows * cols
    tokens = []
    for _ in range(ints(1)[0]):
        n = ints(1)[0]
        tokens.append(data[pos:pos + n])
        pos += n
    tensors = {}
    while pos < len(data):
        n_dims, name_len, ftype = ints(3)
        shape = list(reversed(ints(n_dims)))
        name = data[pos:pos + name_len].decode()
        pos += name_len
        dtype = "<f2" if ftype == 1 else "<f4"
        count = int(np.prod(shape))
        tensors[name] = (ftype, np.frombuffer(data, dtype, count, pos).reshape(shape))
        pos += count * np.dtype(dtype).itemsize
    return hparams, filters, tokens, tensors


def test_converter_splits_fused_attention_drops_key_bias_and_decodes_the_vocabulary(tmp_path):
    conv = speech_models.converter()
    v = ct2_variables(np.random.default_rng(0))
    out = conv.convert(write_ct2(tmp_path / "ct2", v), tmp_path / "ggml.bin")
    hparams, filters, tokens, t = read_ggml(out)
    assert hparams == [len(VOCAB_TEXT), AUDIO_CTX, D, HEADS, 1, TEXT_CTX, D, HEADS, 1, N_MELS, 1]
    assert filters.shape == (N_MELS, 201)
    assert tokens == [b"!", b" the", "é".encode(), b"<|endoftext|>"]
    qkv, qkv_b = v["encoder/layer_0/self_attention/linear_0/weight"], v["encoder/layer_0/self_attention/linear_0/bias"]
    for i, name in enumerate(["query", "key", "value"]):
        assert np.array_equal(t[f"encoder.blocks.0.attn.{name}.weight"][1], qkv[i * D:(i + 1) * D])
    assert np.array_equal(t["encoder.blocks.0.attn.value.bias"][1], qkv_b[2 * D:].astype(np.float32))
    kv = v["decoder/layer_0/attention/linear_1/weight"]
    assert np.array_equal(t["decoder.blocks.0.cross_attn.key.weight"][1], kv[:D])
    assert np.array_equal(t["decoder.blocks.0.cross_attn.value.weight"][1], kv[D:])
    assert not any(name.endswith("key.bias") for name in t)
    assert t["encoder.conv1.bias"][1].shape == (D, 1) and t["encoder.conv1.bias"][0] == 0
    assert t["decoder.positional_embedding"][0] == 0 and t["decoder.token_embedding.weight"][0] == 1
    assert t["encoder.blocks.0.attn_ln.weight"][0] == 0   # 1-D tensors are float32
    # exactly the tensors whisper.cpp loads for one encoder and one decoder layer
    assert len(t) == 1 + 4 + 15 + 2 + 2 + 24 + 2
    assert conv.convert(tmp_path / "ct2", tmp_path / "again.bin").read_bytes() == out.read_bytes()


def test_mel_filters_are_slaney_triangles_of_unit_area():
    conv = speech_models.converter()
    f = conv.mel_filters(80)
    assert f.shape == (80, 201) and f.dtype == np.float32 and (f >= 0).all()
    peaks = f.argmax(axis=1)
    assert (np.diff(peaks) >= 0).all() and peaks[-1] > 190
    hz_per_bin = SAMPLE_RATE / 400
    # Slaney normalisation: each triangle has area 1 over frequency (wide ones sampled well enough)
    assert np.allclose(f[50:].sum(axis=1) * hz_per_bin, 1.0, atol=0.05)
    # below 1 kHz the mel scale is linear: equally spaced centres
    centres = [conv._mel_to_hz(conv._hz_to_mel(8000.0) * i / 81) for i in range(1, 10)]
    assert np.allclose(np.diff(centres), centres[0], rtol=1e-9)


def test_converter_refuses_what_it_cannot_read(tmp_path):
    conv = speech_models.converter()
    v = ct2_variables(np.random.default_rng(1))
    bad = write_ct2(tmp_path / "t5", v, spec="T5Spec")
    with pytest.raises(conv.ConversionError, match="not a WhisperSpec"):
        conv.convert(bad, tmp_path / "x.bin")
    good = write_ct2(tmp_path / "ok", v)
    data = (good / "model.bin").read_bytes()
    (good / "model.bin").write_bytes(data[:len(data) // 2])
    with pytest.raises(conv.ConversionError, match="truncated"):
        conv.convert(good, tmp_path / "x.bin")
    del v["decoder/layer_0/attention/linear_1/weight"]
    with pytest.raises(conv.ConversionError, match="lacks"):
        conv.convert(write_ct2(tmp_path / "lack", v), tmp_path / "x.bin")
    with pytest.raises(conv.ConversionError, match="no model.bin"):
        conv.convert(tmp_path / "nothing", tmp_path / "x.bin")
    assert not (tmp_path / "x.bin").exists()
    assert conv.main([str(tmp_path / "nothing"), str(tmp_path / "x.bin")]) == 1
