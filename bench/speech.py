"""Speech benchmark: Whisper tiny.en on whisper.cpp, on 30 spoken commands.

espeak-ng speaks each of the 30 typed commands below; the transcriber (VAD on,
``--threads`` threads, default 2) transcribes them with and without the catalog
prompt. Prints, per mode: word error rate (lower-cased, punctuation dropped,
number words read as digits on both sides), real-time factor (transcription
wall time / audio duration, and CPU time / audio duration), and how many
transcripts were acted on (status ``ok``). Then, unless ``--no-plans``, the
planner plans each typed command and its transcript (default mode) and the
share of pairs with the same plan is printed (exact plan text, and the
benchmark metric's match). ``--full-window`` adds a run with Whisper's full 30 s
encoder window instead of the fitted one; ``--model`` names another Whisper model
(a ``models/speech.yaml`` name or a ggml ``.bin`` path). Asserts nothing. Run:
``.venv/bin/python bench/speech.py [--threads 2] [--no-plans] [--full-window] [--model M]``.

espeak-ng is a robotic voice, not a person: the figures say how the pipeline
behaves, not how well it hears people.
"""

from __future__ import annotations

import argparse
import re
import time

import numpy as np

from agent_node.catalog.skills import load_catalog
from agent_node.speech.espeak import speak
from agent_node.speech.transcriber import USE_PROMPT, Transcriber, Transcript
from agent_node.speech.vocabulary_prompt import catalog_prompt
from tool_adapters.sim.world import load_world

COMMANDS = [
    "Go to the kitchen.",
    "Bring the book from the living room to the office.",
    "Switch the garage lights on.",
    "Is the back door open?",
    "Where is Carol?",
    "How much battery do you have left?",
    "Take a photo of the dining room and send it to Alice.",
    "Drive forward two meters.",
    "Turn left ninety degrees.",
    "Go back to the charging dock.",
    "Find Bob and give him the remote control.",
    "Patrol the kitchen and the hallway twice.",
    "Pick up the red cup.",
    "Put the mug on the table.",
    "Say hello everyone.",
    "Tell Dave that dinner is ready.",
    "What do you see in the bedroom?",
    "Turn off the lights in the living room.",
    "Check the front door and the garage door.",
    "Where are you right now?",
    "Wait for ten seconds.",
    "Where did I leave my glasses?",
    "Go to the bathroom and bring me a towel.",
    "Bring the teddy bear to Alice.",
    "Send Bob a message saying the garage door is open.",
    "Go to the office and take a picture.",
    "Drive backward one meter and turn right.",
    "Turn on the kitchen lights and go to the kitchen.",
    "Is the garage door closed?",
    "Go to the front door and say welcome home.",
]

NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
NUMBERS.update({"twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "ninety": "90",
                "hundred": "100", "metres": "meters", "metre": "meter", "okay": "ok"})


def normalise(text: str) -> list[str]:
    words = re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " ")).split()
    return [NUMBERS.get(w, w) for w in words]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)]


def run_mode(name: str, transcriber: Transcriber, audio: list[np.ndarray]) -> list[Transcript]:
    out, wall, cpu, errors, words = [], 0.0, 0.0, 0, 0
    for command, samples in zip(COMMANDS, audio):
        t0, c0 = time.perf_counter(), time.process_time()
        tr = transcriber.transcribe(samples)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        e = edit_distance(normalise(command), normalise(tr.text))
        errors += e
        words += len(normalise(command))
        out.append(tr)
        flag = "" if e == 0 else f"  [{e} error{'s' if e > 1 else ''}]"
        print(f"  {tr.status:<14} {tr.confidence:.2f}  {tr.text!r}{flag}")
    seconds = sum(a.size for a in audio) / 16000
    ok = sum(t.status == "ok" for t in out)
    print(f"{name}: WER {errors / words:.3f} ({errors}/{words} words)  RTF {wall / seconds:.3f} wall, "
          f"{cpu / seconds:.3f} CPU ({seconds:.1f} s of audio)  acted on {ok}/{len(out)}\n", flush=True)
    return out


def same_plans(catalog, transcripts: list[Transcript], threads: int) -> None:
    from agent_node.datagen.metric import plan_matches
    from agent_node.plan.text import format_plan_text
    from agent_node.planning.planner import Planner

    t0 = time.perf_counter()
    planner = Planner.load(catalog, threads=threads)
    print(f"planner loaded in {time.perf_counter() - t0:.1f} s")
    exact = matched = 0
    for command, tr in zip(COMMANDS, transcripts):
        typed = planner.plan(command)
        spoken = planner.plan(tr.text) if tr.actionable else None
        if spoken is None:
            same_text = same_meaning = False
        elif typed.declined or spoken.declined:
            same_text = same_meaning = typed.declined and spoken.declined
        else:
            same_text = format_plan_text(typed.plan) == format_plan_text(spoken.plan)
            gold = [{"skill": t.skill, "args": t.args} for t in typed.plan.tasks]
            same_meaning = plan_matches(spoken.plan, gold, catalog)
        exact += same_text
        matched += same_meaning
        mark = "same" if same_text else ("match" if same_meaning else "DIFF")
        print(f"  {mark:<5} {command!r} -> {tr.text!r}")
    n = len(COMMANDS)
    print(f"same plan as typed: {exact}/{n} = {exact / n:.2f} exact text, {matched}/{n} = {matched / n:.2f} "
          "by the benchmark metric (a transcript not acted on counts as different)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default=None, help="a registry name (models/speech.yaml) or a ggml .bin path")
    ap.add_argument("--no-plans", action="store_true", help="skip the same-plan comparison (planner)")
    ap.add_argument("--full-window", action="store_true", help="also run with the full 30 s encoder window")
    args = ap.parse_args()
    catalog, world = load_catalog(), load_world()
    names = [p.capitalize() for p in world.people] + [f"the {o}" for o in world.objects]
    audio = [speak(c) for c in COMMANDS]
    t0 = time.perf_counter()
    transcriber = Transcriber.load(catalog, model=args.model, threads=args.threads, use_prompt=False)
    print(f"Whisper tiny.en + Silero VAD loaded in {time.perf_counter() - t0:.2f} s; {args.threads} threads\n")
    transcriber.transcribe(audio[0])  # warm-up
    print("without the catalog prompt:")
    plain = run_mode("without prompt", transcriber, audio)
    transcriber.prompt = catalog_prompt(catalog, names)
    print(f"with the catalog prompt ({len(transcriber.prompt)} characters):")
    prompted = run_mode("with prompt", transcriber, audio)
    if args.full_window:
        transcriber.prompt, transcriber.fit_audio_ctx = "", False
        print("without prompt, full 30 s encoder window:")
        run_mode("full window", transcriber, audio)
    if not args.no_plans:
        print(f"plans from the transcripts {'with' if USE_PROMPT else 'without'} the prompt (the default):")
        same_plans(catalog, prompted if USE_PROMPT else plain, args.threads)


if __name__ == "__main__":
    main()
