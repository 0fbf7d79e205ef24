"""Speech to text with the real Whisper tiny.en (converted by `make setup`) on espeak-ng speech
made at test time: spoken commands become the right words and the right skills;
silence, noise, a 60-second ramble, clipped, cut and empty audio, wrong sample rates
and missing or corrupt model files each give a clear outcome, never an exception
from whisper.cpp. ``agent-run --audio`` end to end, with the planner, once."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from agent_node.catalog.skills import load_catalog
from agent_node.cli.run import run_main
from agent_node.files.model_files import ModelFileError
from agent_node.speech import speech_models
from agent_node.speech.audio import SAMPLE_RATE, read_wav, resample, write_wav
from agent_node.speech.espeak import espeak_available, speak
from agent_node.speech.transcriber import Transcriber, Transcript, repeats_itself
from agent_node.speech.utterances import UtteranceCutter
from agent_node.speech.vad import SileroVad
from tool_adapters.sim.world import load_world

pytest.importorskip("pywhispercpp")
pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng missing (make setup installs it)")

CATALOG = load_catalog()
WORLD = load_world()
NAMES = [p.capitalize() for p in WORLD.people] + [f"the {o}" for o in WORLD.objects]
RNG = np.random.default_rng(0)

# spoken command -> words the transcript must contain, skills ToolRAG must pick for it
COMMANDS = {
    "bring the book from the living room to the office": (["book", "living room", "office"],
                                                         {"navigate_to", "pick", "place"}),
    "switch the garage lights on": (["garage", "lights on"], {"set_light"}),
    "where is carol": (["where is carol"], {"find_person"}),
    "how much battery do you have left": (["battery"], {"get_battery"}),
    "take a photo of the dining room and send it to alice": (["photo", "dining room", "alice"],
                                                            {"navigate_to", "take_photo", "send_message"}),
    "check the front door and the garage door": (["front door", "garage door"], {"check_door"}),
}


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber.load(CATALOG, names=NAMES)


@pytest.fixture(scope="module")
def spoken() -> dict[str, np.ndarray]:
    return {c: speak(c) for c in COMMANDS}


def test_spoken_commands_become_their_words_and_skills(transcriber, spoken):
    from agent_node.planning.toolrag import ToolRAG

    toolrag = ToolRAG(catalog=CATALOG)
    for command, (must, skills) in COMMANDS.items():
        t = transcriber.transcribe(spoken[command])
        assert t.status == "ok" and t.actionable and not t.reply, (command, t)
        assert 0.5 <= t.confidence <= 1.0
        assert abs(t.duration_s - spoken[command].size / SAMPLE_RATE) < 1e-6 and 0 < t.speech_s <= t.duration_s
        for w in must:
            assert w in words(t.text), (command, t.text)
        assert skills <= {s.skill for s in toolrag.select(t.text)}, (command, t.text)


def test_a_transcript_is_a_pydantic_message(transcriber, spoken):
    t = transcriber.transcribe(spoken["where is carol"])
    assert Transcript.model_validate_json(t.model_dump_json()) == t


def test_other_sample_rates_are_resampled(transcriber, spoken, tmp_path):
    command = spoken["switch the garage lights on"]
    telephone = resample(command, SAMPLE_RATE, 8000)
    from_file = transcriber.transcribe_file(write_wav(tmp_path / "c.wav", telephone, 8000))
    in_memory = transcriber.transcribe(resample(command, SAMPLE_RATE, 44100), sample_rate=44100)
    for t in (from_file, in_memory):
        assert t.status == "ok" and "garage lights on" in words(t.text)


def test_unusable_rates_and_samples_are_bad_audio_not_exceptions(transcriber):
    for samples, rate in [(np.zeros(16000), 0), (np.zeros(16000), 10**9), (np.zeros((2, 16000)), SAMPLE_RATE),
                          (np.array([0.1, np.nan] * 8000), SAMPLE_RATE), (np.array(["x"]), SAMPLE_RATE)]:
        t = transcriber.transcribe(samples, sample_rate=rate)
        assert t.status == "bad_audio" and not t.actionable and t.detail and "say it again" in t.reply


@pytest.mark.parametrize("name, samples", [
    ("empty", np.zeros(0, np.float32)),
    ("one sample", np.array([0.3], np.float32)),
    ("digital silence", np.zeros(3 * SAMPLE_RATE, np.float32)),
    ("room noise", RNG.normal(0, 0.01, 3 * SAMPLE_RATE).astype(np.float32)),
    ("loud white noise", RNG.uniform(-1, 1, 3 * SAMPLE_RATE).astype(np.float32)),
    ("mains hum", (0.3 * np.sin(2 * np.pi * 50 * np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)),
    ("full scale square wave", np.sign(np.sin(2 * np.pi * 200 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)),
])
def test_silence_and_noise_are_no_speech(transcriber, name, samples):
    t = transcriber.transcribe(samples)
    assert t.status == "no_speech" and t.text == "" and t.confidence == 0.0 and not t.actionable
    assert t.reply == "I did not hear a command. Please say it again."


def test_a_sixty_second_ramble_is_too_long_for_one_command(transcriber):
    ramble = speak("and then I was thinking that maybe the kitchen could be painted blue or green, and "
                   "my sister said the garden needs more flowers but nobody has time for that, and the car "
                   "is making a strange noise again so we should call someone, and what about the weekend "
                   "trip that we keep talking about but never plan, and the neighbours have a new dog that "
                   "barks all night long, and I really need to sort out the garage at some point, and the "
                   "weather has been strange this year with rain in summer and sunshine in winter, and my "
                   "phone keeps running out of battery in the afternoon, and the cat knocked over a vase "
                   "yesterday, and I forgot to buy milk again, and the television remote is lost somewhere "
                   "in the sofa, and the lights in the hallway flicker when the washing machine is on",
                   words_per_minute=140)
    assert ramble.size / SAMPLE_RATE > 50
    t = transcriber.transcribe(ramble)
    assert t.status == "too_long" and t.speech_s > 40 and not t.actionable and t.text == ""
    assert "too long" in t.reply
    # streamed: the cutter stops it at its maximum length and the transcriber will not act on it
    cutter = UtteranceCutter(max_utterance_s=15.0)
    data = np.round(ramble * 32767).astype(np.int16)
    utterances = [u for i in range(0, data.size, 1600) for u in cutter.feed(data[i:i + 1600])] + cutter.flush()
    assert utterances and all(u.duration_s <= 15.0 for u in utterances)
    for u in utterances:
        if u.ended_by == "max_length":
            assert transcriber.transcribe_utterance(u).status == "too_long"


def test_clipped_speech_still_gives_its_words(transcriber, spoken):
    x = spoken["switch the garage lights on"]
    clipped = np.clip(x * 20.0, -1.0, 1.0)   # heavily overdriven
    assert np.mean(np.abs(clipped) >= 0.999) > 0.2
    t = transcriber.transcribe(clipped)
    assert t.status in ("ok", "low_confidence") and "garage" in words(t.text)


def test_speech_cut_off_mid_command_gives_a_transcript_or_asks_again(transcriber, spoken):
    x = spoken["take a photo of the dining room and send it to alice"]
    t = transcriber.transcribe(x[: x.size // 2])
    assert t.status in ("ok", "low_confidence", "no_speech")
    assert "alice" not in words(t.text)          # nothing invented past the cut
    if t.status == "ok":
        assert "photo" in words(t.text)


def test_quiet_speech_and_a_short_word_are_heard(transcriber):
    t = transcriber.transcribe(0.05 * speak("where is carol"))
    assert t.status == "ok" and "where is carol" in words(t.text)
    t = transcriber.transcribe(speak("stop"))
    assert t.status in ("ok", "low_confidence") and "stop" in words(t.text)


def test_utterances_cut_from_a_stream_are_transcribed(transcriber, spoken):
    a, b = spoken["where is carol"], spoken["switch the garage lights on"]
    silence = np.zeros(SAMPLE_RATE, np.float32)
    data = np.round(np.concatenate([silence, a, silence, b, silence]) * 32767).astype(np.int16)
    cutter = UtteranceCutter(SileroVad())
    utterances = [u for i in range(0, data.size, 512 * 3) for u in cutter.feed(data[i:i + 512 * 3])]
    texts = [words(transcriber.transcribe_utterance(u).text) for u in utterances]
    assert len(texts) == 2 and "carol" in texts[0] and "garage" in texts[1]


def test_low_confidence_and_looping_transcripts_are_not_acted_on(transcriber, spoken):
    strict = Transcriber(transcriber.model_path, threads=2, vad=transcriber.vad, min_confidence=0.99)
    t = strict.transcribe(spoken["where is carol"])
    assert t.status == "low_confidence" and t.text and not t.actionable
    assert t.text in t.reply and "say it again" in t.reply
    assert repeats_itself("go to the kitchen, go to the kitchen, go to the")
    assert not repeats_itself("go to the kitchen then go to the office then go to the garage")


# -- model files ---------------------------------------------------------------------------

def test_missing_or_corrupt_whisper_model_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(ModelFileError, match="missing"):
        Transcriber(tmp_path / "missing.bin")
    (tmp_path / "text.bin").write_text("hello")
    with pytest.raises(ModelFileError, match="not a whisper.cpp ggml"):
        Transcriber(tmp_path / "text.bin")
    cut = tmp_path / "cut.bin"                         # right header, tensors cut off
    with open(speech_models.whisper_model_path(), "rb") as f:
        cut.write_bytes(f.read(3_000_000))
    with pytest.raises(ModelFileError, match="cannot load"):
        Transcriber(cut)
    registered = tmp_path / "ggml-tiny.en.bin"
    monkeypatch.setattr(speech_models.WhisperSpec, "path", property(lambda self: registered))
    with pytest.raises(ModelFileError, match="make setup"):
        Transcriber.load(CATALOG)
    shutil.copyfile(cut, registered)
    with pytest.raises(ModelFileError, match="bytes|corrupt"):
        Transcriber.load(CATALOG)


# -- agent-run --audio -------------------------------------------------------------------------

def test_agent_run_audio_hears_plans_and_runs_a_spoken_command(tmp_path, spoken, capsys):
    wav = write_wav(tmp_path / "cmd.wav", resample(spoken["where is carol"], SAMPLE_RATE, 22050), 22050)
    assert run_main(["--audio", str(wav), "--time-scale", "0"]) == 0
    out = capsys.readouterr().out
    assert re.search(r'heard: "Where is Carol\??" \(confidence 0\.\d\d, [\d.]+ s of speech, ok\)', out)
    assert "find_person" in out and "office" in words(out.split("answer:")[-1])


def test_agent_run_audio_asks_again_or_refuses_without_planning(tmp_path, capsys):
    quiet = write_wav(tmp_path / "quiet.wav", np.zeros(2 * SAMPLE_RATE, np.float32))
    assert run_main(["--audio", str(quiet), "--time-scale", "0"]) == 1
    captured = capsys.readouterr()
    assert "did not hear a command" in captured.out and "nothing was run" in captured.err
    assert "plan:" not in captured.out
    assert run_main(["--audio", str(tmp_path / "missing.wav")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "junk.wav").write_bytes(RNG.bytes(1000))
    assert run_main(["--audio", str(tmp_path / "junk.wav")]) == 2
    assert "not a PCM WAV" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_main(["--audio", str(quiet), "go to the kitchen"])
    assert read_wav(quiet).size == 2 * SAMPLE_RATE


@pytest.mark.parametrize("order", [("_pywhispercpp", "llama_cpp"), ("llama_cpp", "_pywhispercpp")])
def test_whisper_cpp_and_llama_cpp_load_in_one_process_in_either_order(order):
    # the node hears and plans in one process; each binding carries its own ggml, and a
    # shared libggml of one loaded first must not stand in for the other's
    import subprocess
    import sys

    pytest.importorskip("llama_cpp")
    done = subprocess.run([sys.executable, "-c", f"import {order[0]}, {order[1]}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]


def test_whisper_cpp_is_built_with_the_fast_matrix_kernels():
    # scripts/build_pywhispercpp.sh turns on ggml's tinyBLAS (LLAMAFILE) and OpenMP: the
    # encoder is 1.4 times slower without the first, and spins beside the planner without
    # the second (see the script)
    import _pywhispercpp as pw

    info = pw.whisper_print_system_info()
    assert "LLAMAFILE = 1" in info and "OPENMP = 1" in info, info
