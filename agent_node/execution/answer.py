"""The sentence for the person once a plan has run: built from the results, not by a model.

Skills of the reference robot have their own phrasing; any other skill is told
generically ("set_mode: done"). Failures say what failed and why.
"""

from __future__ import annotations

from typing import Any, Callable

from agent_node.catalog.values import readable
from agent_node.execution.events import ExecutionResult, TaskResult

#: How the executor's error of a call the person did not confirm begins.
NOT_CONFIRMED = "not confirmed"


def _place(value: Any) -> str:
    return readable(value, enum_like=True)


def _name(value: Any) -> str:
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:] if text.islower() else text


class _Story:
    """What has happened so far: where the robot is, what it last picked up."""

    def __init__(self) -> None:
        self.at: str | None = None
        self.carried: str | None = None


Clause = Callable[[TaskResult, _Story], str]

CLAUSES: dict[str, Clause] = {
    "navigate_to": lambda t, s: f"I went to the {_place(t.result)}",
    "go_to_pose": lambda t, s: f"I drove to {t.result}",
    "drive": lambda t, s: f"I drove {readable(abs(t.result))} m {'back' if t.result < 0 else 'forward'}",
    "rotate": lambda t, s: f"I turned {readable(abs(t.result))} degrees to the {'left' if t.result >= 0 else 'right'}",
    "dock": lambda t, s: "I am back on my dock, charging",
    "patrol": lambda t, s: f"I patrolled {_place(t.args.get('route', []))} ({t.result} lap{'s' * (t.result != 1)})",
    "wait": lambda t, s: f"I waited {readable(t.result)} seconds",
    "pick": lambda t, s: f"I picked up the {t.result}",
    "place": lambda t, s: f"I put the {s.carried or 'object'} on the {t.result}",
    "hand_over": lambda t, s: (f"I gave the {s.carried or 'object'} to {_name(t.args.get('person', 'them'))}"
                               + (f" in the {_place(s.at)}" if s.at else "")),
    "detect_objects": lambda t, s: f"I see {readable(t.result)}",
    "take_photo": lambda t, s: "I took a photo",
    "find_object": lambda t, s: f"the {t.args.get('object', 'object')} is in the {_place(t.result)}",
    "find_person": lambda t, s: f"{_name(t.args.get('person', 'they'))} is in the {_place(t.result)}",
    "check_door": lambda t, s: f"the {_place(t.args.get('door', 'door'))} is {t.result}",
    "set_light": lambda t, s: f"the {_place(t.args.get('room', ''))} lights are {'on' if t.result else 'off'}",
    "get_battery": lambda t, s: f"my battery is at {readable(t.result)}%",
    "get_location": lambda t, s: f"I am in the {_place(t.result)}",
    "say": lambda t, s: f"I said \"{t.args.get('text', '')}\"",
    "send_message": lambda t, s: (f"I sent {_name(t.args.get('recipient', 'them'))} a message"
                                  + (" with the photo" if t.args.get("attachment") else "")),
}


#: What a failed call of a reference skill was trying to do ("I could not go to the office: ...").
ATTEMPTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "navigate_to": lambda a: f"go to the {_place(a['location'])}",
    "pick": lambda a: f"pick up {_the(a['object'])}",
    "place": lambda a: f"put it on {_the(a['surface'])}",
    "hand_over": lambda a: f"hand it to {_name(a['person'])}",
    "find_object": lambda a: f"find {_the(a['object'])}",
    "find_person": lambda a: f"find {_name(a['person'])}",
    "check_door": lambda a: f"check the {_place(a['door'])}",
}


def _the(thing: Any) -> str:
    """A thing the person named, with "the" unless they gave it a determiner ("my keys")."""
    text = str(thing).strip()
    return text if text.lower().split(" ", 1)[0] in ("the", "a", "an", "my", "your", "his", "her", "their") \
        else f"the {text}"


def _attempt(task: TaskResult) -> str:
    make = ATTEMPTS.get(task.skill)
    try:
        said = make(task.args) if make else ""
    except (KeyError, TypeError):  # an argument the plan left out
        said = ""
    return said if said and "$" not in said else task.skill.replace("_", " ")  # not a $N that never came


def _clause(task: TaskResult, story: _Story) -> str:
    make = CLAUSES.get(task.skill)
    try:
        return make(task, story) if make else f"{task.skill}: {readable(task.result)}"
    except (TypeError, ValueError, AttributeError):  # an unexpected result shape: say it plainly
        return f"{task.skill}: {readable(task.result)}"


def _update(story: _Story, task: TaskResult) -> None:
    if task.skill in ("navigate_to", "get_location") and isinstance(task.result, str):
        story.at = task.result
    elif task.skill == "dock":
        story.at = "charging_dock"
    elif task.skill == "pick":
        story.carried = str(task.result)


def _sentence(clauses: list[str]) -> str:
    if not clauses:
        return ""
    text = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + clauses[-1]
    return text[:1].upper() + text[1:] + "."


def answer(result: ExecutionResult) -> str:
    """One or two sentences: what was done, then what failed and why."""
    story, done = _Story(), []
    for task in result.tasks:
        if task.status == "succeeded":
            done.append(_clause(task, story))
            _update(story, task)
    parts = [_sentence(done)] if done else []
    failed = [t for t in result.tasks if t.status == "failed"]
    if failed:
        t = failed[0]
        parts.append(f"I could not {_attempt(t)}: {t.error}.")
    unconfirmed = next((t for t in result.tasks if t.status == "cancelled" and t.error.startswith(NOT_CONFIRMED)), None)
    if unconfirmed is not None:
        why = unconfirmed.error[len(NOT_CONFIRMED):].lstrip(": ")
        parts.append(f"I did not {unconfirmed.skill.replace('_', ' ')} without your yes ({why}), so I stopped there.")
    elif result.cancelled:
        parts.append("I stopped as asked.")
    skipped = sum(t.status == "skipped" for t in result.tasks)
    if skipped and not result.cancelled:
        parts.append(f"I left {skipped} step{'s' * (skipped != 1)} undone.")
    return " ".join(parts) or "There was nothing to do."
