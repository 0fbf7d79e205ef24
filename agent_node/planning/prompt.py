"""The planner's prompt: a static part first (instructions, every skill, fixed
examples) so llama.cpp reuses its KV cache across commands, then the
per-command part (a retrieved example, the command). The skills ToolRAG chose
are not listed: the grammar allows only those (listing them changed no plan's
success on the development set or on 120 generated commands, and cost ~8 tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent_node.catalog.skills import Catalog, Skill

INSTRUCTIONS = """You are the planner of a robot. Turn the user's command into a plan: numbered calls \
of the robot's skills, one per line, then join().
Rules:
- Write each call as skill(name=value, ...) with the skill's argument names; text in double quotes.
- "$N" is the result of call N. Use it instead of guessing: find where someone or something is, \
then go to "$1". "$N" inside a text puts that result into the text.
- Moving, grasping, looking and speaking happen in the order written.
- Call only what the command asks for: no extra calls to speak, report or confirm unless asked.
- Names of people and objects as the user said them.
- If no skill can do what is asked, write only: 1. join()"""

#: Hand-written examples (never from an evaluation set) in the text form.
FIXED_EXAMPLES: list[tuple[str, str]] = [
    ("Where is Grace and is the garage door closed?",
     '1. find_person(person="grace")\n2. check_door(door="garage_door")\n3. join()'),
    ("go find Henry and tell him dinner is ready",
     '1. find_person(person="henry")\n2. navigate_to(location="$1")\n'
     '3. say(text="Henry, dinner is ready")\n4. join()'),
    ("Take the towel from the bathroom to the laundry basket in the hallway",
     '1. navigate_to(location="bathroom")\n2. pick(object="towel")\n3. navigate_to(location="hallway")\n'
     '4. place(surface="laundry basket")\n5. join()'),
    ("text Frank a picture of the garden",
     '1. take_photo()\n2. send_message(recipient="frank", text="Here is a picture", attachment="$1")\n3. join()'),
    ("Please book me a flight to Rome", "1. join()"),
]


@dataclass(frozen=True)
class UserTurn:
    """A per-command user turn (and the start of the answer): its first ``stored``
    characters, the retrieved examples, are a segment whose KV cells are stored
    (0: none)."""

    text: str
    stored: int = 0


def skill_line(skill: Skill) -> str:
    returns = f" -> {skill.returns.type}" if skill.returns else ""
    return f"- {skill.signature()}{returns}: {skill.description}"


def static_part(catalog: Catalog, examples: list[tuple[str, str]] | None = None) -> str:
    """Everything that does not depend on the command (chatml system turn)."""
    enums = "\n".join(f"- {name}: {', '.join(values)}" for name, values in catalog.enums.items())
    skills = "\n".join(skill_line(s) for s in catalog.skills)
    known = set(catalog.skill_names)
    shots = [(c, p) for c, p in (FIXED_EXAMPLES if examples is None else examples)
             if all(line.split("(")[0].split(". ", 1)[-1] in known | {"join"} for line in p.splitlines())]
    shown = "\n\n".join(f"Command: {c}\nPlan:\n{p}" for c, p in shots)
    system = f"{INSTRUCTIONS}\n\nSkills:\n{skills}\n"
    if enums:
        system += f"\nValues:\n{enums}\n"
    if shown:
        system += f"\nExamples:\n{shown}\n"
    return f"<|im_start|>system\n{system}<|im_end|>\n"


def fixed_part(retrieved: list[tuple[str, str]] = ()) -> str:
    """How the per-command user turn begins, up to the command itself: the retrieved
    examples, the same for every command that retrieves them (their KV cells can be
    stored)."""
    head = "<|im_start|>user\n"
    if retrieved:
        head += "Similar commands:\n" + "\n\n".join(f"Command: {c}\nPlan:\n{p}" for c, p in retrieved) + "\n\n"
    return head + "Command:"


def dynamic_part(command: str, retrieved: list[tuple[str, str]] = ()) -> str:
    """The per-command user turn (it begins with :func:`fixed_part`) and the start of the assistant's answer."""
    return f"{fixed_part(retrieved)} {command}<|im_end|>\n<|im_start|>assistant\nPlan:\n"


#: The system turn a planner adapter (``agent-finetune``) is trained with and run with:
#: no skill list and no examples; the adapter has learned the catalog's skills.
TRAINED_SYSTEM = "Plan the robot's skill calls."


def trained_static_part() -> str:
    """The static part of the prompt of a planner with an adapter (chatml system turn)."""
    return f"<|im_start|>system\n{TRAINED_SYSTEM}<|im_end|>\n"


def trained_turn(command: str) -> str:
    """The per-command part of a planner with an adapter: the user turn and the start of the answer."""
    return f"<|im_start|>user\n{command}<|im_end|>\n<|im_start|>assistant\n"
