"""How much work and time one request may spend on a computation whose size users choose (how
many threads a page has, how long their quotes are), so that no request outlives its worker.

A :class:`Budget` is made once per request and passed down; the costly steps charge it before
they start, and raise :class:`OverBudget` when it is spent. The caller then answers with what it
has (a thread "not placed yet") and leaves the rest to the background. Pure: no Flask.
"""

from __future__ import annotations

import time


class OverBudget(Exception):
    """The request's budget is spent: the step was not started."""


class Budget:
    """``seconds`` of wall time from now and ``work`` units (a unit is about one character
    comparison in Python code; ``None`` is no limit)."""

    def __init__(self, seconds: float | None = None, work: int | None = None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.work_left = work
        self.spent = False

    def charge(self, units: int = 0) -> None:
        """Take ``units`` for the next step, or raise :class:`OverBudget` (once spent, always)."""
        if self.spent:
            raise OverBudget
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.spent = True
        elif self.work_left is not None:
            if units > self.work_left:
                self.spent = True
            else:
                self.work_left -= units
        if self.spent:
            raise OverBudget

