"""The planner's settings: one model, read by the planner, the command-line tools
(``agent-eval``, ``agent-plan``, ``agent-run``) and the ROS node's parameters.

``None`` for :attr:`~PlannerSettings.use_toolrag` and :attr:`~PlannerSettings.repairs`
means what the planner ships with: on without an adapter, off with one (there they
no longer change a result on unseen commands).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_node.planning.example_bank import STAND_INS

#: Below this ToolRAG probability for every skill, ToolRAG is unsure: the model is shown
#: every skill of a small catalog (WIDEN_ALL_UP_TO) or the WIDEN_TOP likeliest, and the
#: model and checker decide (1000 generated commands of an unseen seed: all 80
#: out-of-domain ones were below it, none of the rest).
DECLINE_BELOW = 0.5
#: Below this for every skill, the command is out of domain for sure and declined without
#: the model. On the hand-written sets and the held-out seed of the reference robot (252
#: valid commands, 52 to decline) no valid command is below it and 27 declines are; 8
#: valid commands lie between it and DECLINE_BELOW, which the model now gets to plan.
OUT_OF_DOMAIN_BELOW = 0.1
WIDEN_ALL_UP_TO, WIDEN_TOP = 24, 10
JOIN_BIAS = 0.0
#: A call of a skill ToolRAG gave less than this probability, which no other call
#: needs, is one the command did not ask for (a small model likes to append a
#: `say`): it is dropped. On the generated data 96 % of commands have every
#: needed skill at or above it.
PRUNE_BELOW = 0.05
#: Added, at the start of every call but the first, to the logits of the tokens that
#: can only begin the name of a skill below PRUNE_BELOW: such a call would mostly be
#: dropped, and writing it costs time (a `say` sentence is ~10 passes of the model).
UNLIKELY_BIAS = -10.0
#: A skill ToolRAG gives at least this probability that a plan leaves out is one the
#: command asked for: the plan is written again, with the grammar requiring it. On
#: generated commands 3.9 % of gold plans leave out such a skill. On 119 generated
#: commands (seed 123, not the training seeds) this changed 10 plans: 3 wrong ones
#: became right and no right one became wrong.
REQUIRE_ABOVE = 0.9


class SettingsError(ValueError):
    """Planner settings that cannot be used; the message names each bad one."""


class PlannerSettings(BaseModel):
    """Every knob of the planner, with its default and what it does."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(None, description="planner: registry name or GGUF path (default: the registry's default)")
    adapter: str | None = Field("", description="LoRA adapter: registered name or GGUF path (default: the registry's "
                                                "default for the model and catalog; 'none': the model without one)")
    threads: int = Field(2, ge=1, description="CPU threads for the model")
    toolrag_dir: str | None = Field(None, description="ToolRAG model directory (default: models/toolrag_home_robot)")
    bank_dir: str | None = Field(None, description="example bank directory (default: the reference robot's, for "
                                                   "the reference catalog only)")
    use_toolrag: bool | None = Field(None, description="narrow the grammar to the skills ToolRAG selects and decline "
                                                       "without the model (default: on without an adapter, off with one)")
    threshold: float | None = Field(None, ge=0, le=1, description="ToolRAG selection threshold (default: the tuned one)")
    use_grammar: bool = Field(True, description="decode under the GBNF grammar of the catalog")
    repairs: bool | None = Field(None, description="write a plan again when it leaves out a place said or a skill "
                                                   "ToolRAG is sure of, and drop calls nothing needs of unlikely "
                                                   "skills (default: on without an adapter, off with one)")
    examples: int = Field(1, ge=0, description="similar examples retrieved per command (0: none)")
    fixed_examples: int = Field(16, ge=0, description="examples chosen once from the example bank for the cached "
                                                      "prompt (0: hand-written ones)")
    stand_ins: int = Field(STAND_INS, ge=0, description="examples of each common plan shape that stand in for the rest "
                                                        "at retrieval; their prompt states are stored (0: show the "
                                                        "nearest example as it is)")
    decline_below: float = Field(DECLINE_BELOW, ge=0, le=1, description="below this ToolRAG probability for every "
                                 "skill the model is shown all skills of a small catalog (0: only those ToolRAG "
                                 "selects)")
    out_of_domain_below: float = Field(OUT_OF_DOMAIN_BELOW, ge=0, le=1, description="decline without the model when "
                                       "no skill reaches this ToolRAG probability (0: always ask the model)")
    prune_below: float = Field(PRUNE_BELOW, ge=0, le=1, description="drop calls nothing needs of skills below this "
                                                                    "ToolRAG probability")
    require_above: float = Field(REQUIRE_ABOVE, ge=0, description="write the plan again, requiring the skills at or "
                                 "above this ToolRAG probability that it leaves out (above 1: never)")
    join_bias: float = Field(JOIN_BIAS, description="logit bias toward ending the plan after its first call")
    unlikely_bias: float = Field(UNLIKELY_BIAS, le=0, description="logit bias toward a later call of a skill below "
                                                                  "prune_below (0: none)")
    states_dir: str | None = Field(None, description="directory of stored prompt states "
                                                     "(default: ~/.cache/agent_node/prompt_states)")
    store_states: bool = Field(True, description="restore prompt segments from stored states instead of evaluating "
                                                 "them (the same plans, faster)")
    max_tasks: int = Field(12, ge=1, description="most calls in a plan")
    max_tokens: int = Field(320, ge=16, description="most tokens the model writes for a plan")

    def but(self, **changes: Any) -> "PlannerSettings":
        """These settings with ``changes`` (checked like the rest; SettingsError names what is wrong)."""
        return settings_of({**self.model_dump(), **changes})

    @property
    def without_adapter(self) -> bool:
        return self.adapter is None or self.adapter == "none"


def settings_of(values: dict[str, Any]) -> PlannerSettings:
    """:class:`PlannerSettings` from ``values``; SettingsError naming each bad or unknown one."""
    try:
        return PlannerSettings.model_validate(values)
    except ValidationError as e:
        problems = [f"{'.'.join(map(str, err['loc'])) or 'settings'}: {err['msg']}" for err in e.errors()]
        raise SettingsError("bad planner settings: " + "; ".join(problems)) from None


def settings_with(settings: PlannerSettings | None, changes: dict[str, Any]) -> PlannerSettings:
    """``settings`` (default: the defaults) with ``changes`` (SettingsError for a bad or unknown one)."""
    settings = settings or PlannerSettings()
    return settings.but(**changes) if changes else settings


def describe(name: str) -> str:
    """A setting's description and default, for help texts."""
    field = PlannerSettings.model_fields[name]
    number = isinstance(field.default, (int, float)) and not isinstance(field.default, bool)
    return f"{field.description} (default {field.default:g})" if number else str(field.description)
