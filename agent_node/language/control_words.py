"""Words that steer the robot without a plan: stop, yes, no.

"stop", "halt", "cancel" (and "abort", "freeze") never go to the planner: a
command whose first word is one of them, after an optional "robot", "hey" or
"please" and spoken filler ("Stop!", "Robot, stop now.", "cancel that", "stop
stop stop", "emergency stop"), is a stop. It errs on the side of stopping:
"stop by the kitchen" stops too, which is cheap; a missed stop is not.

"yes" and "no" only count as the whole utterance ("yes", "yes please", "go
ahead", "no", "don't", "no thanks"), so "no, bring the cup" is a command.
Spoken forms come from Whisper with punctuation and capitals; both are ignored.
"""

from __future__ import annotations

import re
from typing import Literal

Control = Literal["stop", "yes", "no"]

STOP_WORDS = frozenset({"stop", "halt", "cancel", "abort", "freeze", "stopp", "stahp"})
_LEAD = frozenset({"robot", "hey", "ok", "okay", "please", "now", "emergency", "just", "oh", "oi", "hi", "um", "uh"})
YES = frozenset({"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "go ahead", "do it", "confirm", "confirmed",
                 "affirmative", "yes go ahead", "yes do it", "yes please", "please do", "please go ahead",
                 "ok go ahead", "okay go ahead", "sure go ahead", "go on", "proceed", "yes proceed", "correct",
                 "that's right", "that is right", "right", "alright", "all right", "fine"})
NO = frozenset({"no", "nope", "nah", "don't", "do not", "dont", "negative", "no thanks", "no thank you", "not now",
                "never mind", "nevermind", "no don't", "no do not", "no no", "no way", "don't do it",
                "do not do it", "no please don't", "please don't", "please do not", "wait no"})
_POLITE = re.compile(r"^(?:please |robot |hey robot |ok robot |okay robot )|(?: please| robot| thanks| thank you)$")


def words(text: str) -> list[str]:
    """Lower-case words; apostrophes kept ("don't")."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))


def control_word(text: object) -> Control | None:
    """``"stop"``, ``"yes"``, ``"no"`` or None (a command for the planner)."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    w = words(text)
    i = 0
    while i < len(w) and w[i] in _LEAD and w[i] not in STOP_WORDS:
        i += 1
    if i < len(w) and w[i] in STOP_WORDS:
        return "stop"
    phrase = " ".join(w)
    for _ in range(2):
        if phrase in YES:
            return "yes"
        if phrase in NO:
            return "no"
        phrase = _POLITE.sub("", phrase).strip()
    return None
