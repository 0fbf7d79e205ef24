"""ToolRAG: the encoder, the shipped classifier, training, the baseline, model-file errors."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest

from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.cli.toolrag import main as toolrag_main
from agent_node.datagen.generate import generate
from agent_node.datagen.toolrag_training import train_toolrag
from agent_node.files.model_files import ModelFile, ModelFileError, onnx_session, verify_file
from agent_node.planning.encoder import EncoderSpec, SentenceEncoder, encoder_spec
from agent_node.planning.toolrag import (
    HEAD_FILE,
    META_FILE,
    Head,
    SimilarityBaseline,
    ToolRAG,
    default_model_dir,
    hashed_words,
    head_features,
)

CATALOG = load_catalog()


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


@pytest.fixture(scope="module")
def rag(encoder) -> ToolRAG:
    return ToolRAG(catalog=CATALOG, encoder=encoder)


def chosen(rag: ToolRAG, command: str) -> set[str]:
    return {s.skill for s in rag.select(command)}


# -- the encoder --------------------------------------------------------------------
def test_embeddings_are_unit_vectors_and_paraphrases_are_close(encoder):
    v = encoder.encode(["bring the red cup to alice", "fetch alice the red mug", "what is the stock price of apple"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3


@pytest.mark.parametrize("text", ["", " ", "x" * 10_000, "Bringe die rote Tasse zu Alice",
                                  "ロボット、台所に行ってください", "\x00\x01\ufffd garbage 🤖"])
def test_odd_input_still_gives_a_result(rag, text):
    scores = rag.scores(text)
    assert [s.skill for s in scores] and len(scores) == len(CATALOG.skills)
    assert all(0.0 <= s.probability <= 1.0 for s in scores)
    assert isinstance(rag.select(text), list)


# -- the shipped classifier -----------------------------------------------------------
@pytest.mark.parametrize("command, needed", [
    ("please drive over to the garage", {"navigate_to"}),
    ("find out where Carol is and go to her", {"find_person", "navigate_to"}),
    ("switch off the light in the bedroom", {"set_light"}),
    ("take a picture and send it to bob", {"take_photo", "send_message"}),
    ("fetch the umbrella from the hallway and put it on the kitchen counter",
     {"navigate_to", "pick", "place"}),
    ("tell me out loud how much charge you have", {"get_battery", "say"}),
])
def test_shipped_model_selects_what_a_command_needs_and_ranks_it_first(rag, command, needed):
    assert needed <= chosen(rag, command)
    ranked = [s.skill for s in rag.scores(command)]
    assert set(ranked[:len(needed)]) == needed


def test_requests_no_skill_serves_score_low_everywhere(rag):
    for command in ["what's the weather going to be like tomorrow", "order me a large pepperoni pizza",
                    "what is the capital of australia"]:
        assert rag.scores(command)[0].probability < 0.2, command
    assert rag.scores("go to the living room")[0].probability > 0.8


def test_an_email_is_not_a_message_the_robot_can_send(rag):
    """The embedding alone puts "email" next to "message"; the hashed words tell them apart."""
    for command in ["email my landlord about the rent", "could you write an email to Carol?"]:
        assert rag.scores(command)[0].probability < 0.5, command
    for command in ["send Carol a message saying the rent is paid", "text my landlord that the rent is paid"]:
        assert rag.scores(command)[0].skill == "send_message", command


def test_the_shipped_model_is_for_the_reference_catalog():
    meta = json.loads((default_model_dir() / META_FILE).read_text())
    assert meta["skills"] == CATALOG.skill_names
    assert 0.0 < meta["threshold"] < 1.0
    assert meta["heldout"]["recall"] >= 0.99
    assert meta["word_buckets"] > 0


# -- training -------------------------------------------------------------------------
TINY = Catalog.from_dict({
    "zones": ["greenhouse", "orchard", "vegetable_patch"],
    "skills": [
        {"name": "water_plants", "kind": "action", "description": "Water the plants in a garden zone.",
         "resources": ["pump"], "params": {"zone": {"type": "zone", "description": "which zone"}}},
        {"name": "read_humidity", "kind": "service", "description": "Read the soil humidity of a garden zone.",
         "params": {"zone": {"type": "zone", "description": "which zone"}}, "returns": {"type": "number"}},
        {"name": "open_gate", "kind": "action", "description": "Open the garden gate.", "resources": ["gate"]},
    ]})


@pytest.mark.parametrize("word_buckets", [0, 256])
def test_training_on_a_tiny_catalog_learns_it(tmp_path, encoder, word_buckets):
    train = generate(TINY, 150, seed=1)
    report = train_toolrag(TINY, [s.command for s in train], [[t.skill for t in s.plan] for s in train],
                           tmp_path, encoder=encoder, folds=3, word_buckets=word_buckets)
    assert json.loads((tmp_path / META_FILE).read_text())["word_buckets"] == word_buckets
    assert report.heldout_recall >= 0.9
    rag = ToolRAG(tmp_path, catalog=TINY, encoder=encoder)
    fresh = [s for s in generate(TINY, 80, seed=99) if len(s.plan) == 1]
    hits = sum(rag.scores(s.command)[0].skill == s.plan[0].skill for s in fresh)
    assert fresh and hits / len(fresh) >= 0.9
    with pytest.raises(ModelFileError, match="another catalog"):
        ToolRAG(tmp_path, catalog=CATALOG, encoder=encoder)


def test_training_needs_enough_pairs(tmp_path, encoder):
    with pytest.raises(ValueError, match="at least"):
        train_toolrag(TINY, ["open the gate"], [["open_gate"]], tmp_path, encoder=encoder)
    with pytest.raises(ValueError, match="word buckets"):
        train_toolrag(TINY, ["open the gate"] * 10, [["open_gate"]] * 10, tmp_path, encoder=encoder, word_buckets=-1)


# -- hashed words -----------------------------------------------------------------------
def test_hashed_words_mark_each_word_and_word_pair_in_a_stable_bucket():
    rows = hashed_words(["Send an EMAIL", "send an email", "email an send", ""], 4096)
    assert rows.shape == (4, 4096) and rows.dtype == np.float32
    assert np.array_equal(rows[0], rows[1])  # case does not matter
    assert rows[0].sum() == 5  # send, an, email, "send an", "an email"
    assert rows[0][zlib.crc32(b"email") % 4096] == 1 and rows[0][zlib.crc32(b"an email") % 4096] == 1
    assert not np.array_equal(rows[0], rows[2])  # the pairs keep some of the order
    assert rows[3].sum() == 0


def test_the_onnx_head_computes_what_the_numpy_head_does(tmp_path):
    rng = np.random.default_rng(0)
    head = Head(rng.normal(size=(6 + 16, 5)).astype(np.float32), rng.normal(size=5).astype(np.float32),
                rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32))
    head.to_onnx(tmp_path / "head.onnx", word_buckets=16)
    embeddings = rng.normal(size=(2, 6)).astype(np.float32)
    texts = ["go to the kitchen", "email bob"]
    got = onnx_session(tmp_path / "head.onnx", 1, "test head").run(
        ["probabilities"], {"embedding": embeddings, "words": hashed_words(texts, 16)})[0]
    assert np.allclose(got, head(head_features(embeddings, texts, 16)), atol=1e-5)


# -- the baseline ---------------------------------------------------------------------
def test_similarity_baseline_returns_k_distinct_skills(encoder):
    baseline = SimilarityBaseline(CATALOG, encoder)
    top = baseline.select("turn on the lights in the kitchen", 3)
    assert len({s.skill for s in top}) == 3 and top[0].skill == "set_light"


# -- model files: missing, truncated, corrupt ----------------------------------------
@pytest.fixture
def model_copy(tmp_path) -> Path:
    return Path(shutil.copytree(default_model_dir(), tmp_path / "model"))


def test_missing_model_dir_says_how_to_get_one(tmp_path, encoder):
    with pytest.raises(ModelFileError, match="agent-toolrag train"):
        ToolRAG(tmp_path / "nothing", encoder=encoder)


def test_corrupt_head_is_refused(model_copy, encoder):
    head = model_copy / HEAD_FILE
    data = bytearray(head.read_bytes())
    data[len(data) // 2] ^= 0xFF
    head.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupt"):
        ToolRAG(model_copy, encoder=encoder)


def test_corrupt_metadata_is_refused(model_copy, encoder):
    (model_copy / META_FILE).write_text('{"skills": [')
    with pytest.raises(ModelFileError, match="corrupt"):
        ToolRAG(model_copy, encoder=encoder)


def test_encoder_files_are_checked(tmp_path):
    spec = encoder_spec()
    good = spec.model.verified_path()
    truncated = tmp_path / "model.onnx"
    truncated.write_bytes(good.read_bytes()[:1000])
    bad = EncoderSpec.model_validate({**spec.model_dump(), "model": {**spec.model.model_dump(),
                                                                      "module": "", "file": str(truncated)}})
    with pytest.raises(ModelFileError, match="truncated"):
        SentenceEncoder(bad)
    missing = ModelFile(package="no-such-pkg==1", module="no_such_pkg_xyz", file="m.onnx", sha256="0" * 64)
    with pytest.raises(ModelFileError, match="not installed"):
        missing.verified_path()


def test_verify_file_detects_a_changed_file(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(b"abc")
    sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    verify_file(path, sha, 3)
    path.write_bytes(b"abd")
    with pytest.raises(ModelFileError, match="corrupt"):
        verify_file(path, sha, 3)
    with pytest.raises(ModelFileError, match="missing"):
        verify_file(tmp_path / "gone.bin", sha)


# -- the CLI --------------------------------------------------------------------------
def test_cli_select_prints_skills_with_probabilities(capsys):
    assert toolrag_main(["select", "go to the kitchen", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["skills"][0]["skill"] == "navigate_to"
    assert toolrag_main(["select", "go to the kitchen"]) == 0
    assert "navigate_to" in capsys.readouterr().out


def test_cli_reports_a_missing_model_cleanly(tmp_path, capsys):
    assert toolrag_main(["select", "hello", "--model", str(tmp_path)]) == 2
    assert "no ToolRAG model" in capsys.readouterr().err


def test_cli_trains_from_a_data_file(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(s.to_json() + "\n" for s in generate(TINY, 40, seed=3)))
    catalog_file = tmp_path / "tiny.yaml"
    catalog_file.write_text(json.dumps({"zones": TINY.enums["zone"],
                                        "skills": [s.model_dump(exclude_none=True) for s in TINY.skills]}))
    assert toolrag_main(["train", "--catalog", str(catalog_file), "--data", str(data),
                         "--out", str(tmp_path / "m")]) == 0
    assert "held-out" in capsys.readouterr().out
    assert (tmp_path / "m" / HEAD_FILE).is_file()
