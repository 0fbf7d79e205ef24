"""The safety policy: which skills a plan may use at all, and which calls need a person's yes.

A policy file (YAML; ``config/home_robot_policy.yaml`` for the reference robot)::

    allowed_skills: all          # or a list: the planner is offered, and the checker accepts, only these
    confirm_timeout_s: 30        # no answer within this time is a no
    skills:
      hand_over: {risk: high, confirm: always}
      drive: {risk: medium, confirm: {arg: distance_m, beyond: 1.0}}   # |distance_m| > 1 m
      patrol: {risk: medium, confirm: always}

``risk`` (low | medium | high) is information for people and logs; ``confirm`` is
``never`` (the default), ``always``, or ``{arg, beyond}``: when the value of that
number argument, as it will be sent, is further than ``beyond`` from zero. The
check happens right before the call, after ``$N`` results are put in, so a
distance that comes from an earlier result is judged by its real value.

The policy never widens the catalog: bounds stay the catalog's, and a skill the
policy names must be in the catalog (:func:`load_policy` says which is not).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_node.catalog.skills import Catalog
from agent_node.catalog.values import is_number, readable
from agent_node.files.config_files import ConfigFileError, read_yaml
from agent_node.files.paths import config_path

DEFAULT_CONFIRM_TIMEOUT_S = 30.0


class PolicyError(ConfigFileError):
    what = "policy"


class ConfirmBeyond(BaseModel):
    """Confirm when the number ``arg`` is further than ``beyond`` from zero."""

    model_config = ConfigDict(extra="forbid")

    arg: str
    beyond: float = Field(ge=0)


class SkillPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    risk: Literal["low", "medium", "high"] = "low"
    confirm: Literal["never", "always"] | ConfirmBeyond = "never"


class Policy(BaseModel):
    """A validated policy; :meth:`permissive` allows everything and asks nothing."""

    model_config = ConfigDict(extra="forbid")

    allowed_skills: Literal["all"] | list[str] = "all"
    confirm_timeout_s: float = Field(DEFAULT_CONFIRM_TIMEOUT_S, gt=0)
    skills: dict[str, SkillPolicy] = Field(default_factory=dict)
    source: str = "<policy>"

    @classmethod
    def permissive(cls) -> "Policy":
        return cls(source="<none: every catalog skill, no confirmation>")

    def allowed(self, catalog: Catalog) -> Catalog:
        """``catalog`` restricted to the allowed skills."""
        return catalog if self.allowed_skills == "all" else catalog.subset(self.allowed_skills)

    def risk(self, skill: str) -> str:
        return self.skills[skill].risk if skill in self.skills else "low"

    def confirmation(self, skill: str, args: dict[str, Any]) -> str | None:
        """Why a call with these (final) ``args`` needs a yes first, or None."""
        rule = self.skills[skill].confirm if skill in self.skills else "never"
        if rule == "never":
            return None
        if rule == "always":
            return f"{skill.replace('_', ' ')} always needs a yes."
        value = args.get(rule.arg)
        if not is_number(value):
            return None  # the checker has made sure a required number is there
        if abs(float(value)) > rule.beyond or math.isnan(float(value)):
            return f"{rule.arg} = {readable(value)} is beyond ±{readable(rule.beyond)}."
        return None

    def problems(self, catalog: Catalog) -> list[str]:
        """What in this policy does not fit ``catalog``."""
        out = []
        allowed = [] if self.allowed_skills == "all" else self.allowed_skills
        for name in allowed:
            if catalog.skill(name) is None:
                out.append(f"allowed_skills: '{name}' is not a catalog skill")
        if self.allowed_skills != "all" and not allowed:
            out.append("allowed_skills: the list is empty (nothing could ever run)")
        for name, rule in self.skills.items():
            skill = catalog.skill(name)
            if skill is None:
                out.append(f"skills: '{name}' is not a catalog skill")
            elif isinstance(rule.confirm, ConfirmBeyond):
                param = skill.params.get(rule.confirm.arg)
                if param is None or param.type not in ("number", "integer"):
                    out.append(f"skills.{name}.confirm: '{rule.confirm.arg}' is not a number parameter of {name}")
        return out


def default_policy_path() -> Path:
    return config_path("home_robot_policy.yaml")


def load_policy(path: str | Path | None, catalog: Catalog) -> Policy:
    """The policy in ``path`` (``None``: the reference robot's), checked against
    ``catalog``; PolicyError naming every problem."""
    path = default_policy_path() if path is None else Path(path)
    data = read_yaml(path, PolicyError)
    if not isinstance(data, dict):
        raise PolicyError(str(path), ["top level must be a mapping (allowed_skills, confirm_timeout_s, skills)"])
    try:
        policy = Policy.model_validate({**data, "source": str(path)})
    except ValidationError as e:
        raise PolicyError(str(path), [f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()]) from None
    problems = policy.problems(catalog)
    if problems:
        raise PolicyError(str(path), problems)
    return policy
