"""What the executor needs from whatever carries skills out (simulator, ROS, ...)."""

from __future__ import annotations

from typing import Any, Callable, Protocol

#: ``feedback(progress, message)``: progress in [0, 1] or None when unknown.
FeedbackFn = Callable[[float | None, str], None]


class SkillFailed(Exception):
    """A call that ran and failed for a reason worth telling a person
    ("the banana is not in the office"). Other exceptions are reported too,
    but as faults of the adapter."""


class SkillRunner(Protocol):
    async def call(self, skill: str, args: dict[str, Any], feedback: FeedbackFn) -> Any:
        """Carry out one checked call and return its result.

        ``args`` are complete (defaults filled, ``$N`` substituted). Raise
        :class:`SkillFailed` on failure. The executor cancels the asyncio task
        to cancel the call: stop the robot, then let ``CancelledError`` out.
        """
        ...
