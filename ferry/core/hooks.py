"""Small registered hooks: how a lower app lets an upper one react, without importing it.

The lower app declares the hook (`REQUEST_ACCEPTED = Hook("request_accepted")`) and calls it; the upper
app registers its receiver in its AppConfig.ready(). The layers stay acyclic (tests/test_boundaries.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class HookMissing(RuntimeError):
    """A hook that needs exactly one receiver has none: an app that should have registered did not start."""


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable[..., Any]] = []

    def register(self, receiver: Callable[..., Any]) -> Callable[..., Any]:
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def send(self, **kwargs: Any) -> list[Any]:
        """Call every receiver, in registration order; their answers, in the same order."""
        return [receiver(**kwargs) for receiver in self._receivers]

    def call_one(self, **kwargs: Any) -> Any:
        """For a hook that one upper app must answer (a request accepted opens a case)."""
        if len(self._receivers) != 1:
            raise HookMissing(f"hook {self.name} has {len(self._receivers)} receivers, needs one")
        return self._receivers[0](**kwargs)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._receivers)} receivers)"
