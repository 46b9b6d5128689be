"""Charts laid out on the server as SVG shapes, so no script (and no CDN) draws them.

Pure functions: they turn numbers into rectangles with coordinates; a template writes them as
``<rect>`` elements whose class (``group-<slug>``) gives the colour. No Flask, no Git.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One rectangle of a chart, with what it stands for (shown as its tooltip)."""

    x: float
    y: float
    width: float
    height: float
    css_class: str
    label: str


@dataclass(frozen=True)
class Axis:
    """A label under the chart (a month) or beside it (a value)."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[Axis, ...]
    maximum: int
    title: str


def stacked_columns(columns: Sequence[str], series: Mapping[str, Mapping[str, int]], *, title: str,
                    width: int = 720, height: int = 220, class_prefix: str = "group-",
                    display: Callable[[str], str] = str) -> Chart:
    """One column per entry of ``columns`` (months), stacking each series' value (group) in it.

    ``series`` maps a series name to ``{column: value}``. The tallest column fills the height;
    at most about twelve column labels are written so they never overlap.
    """
    top, bottom, left = 10, 24, 40
    plot_height = height - top - bottom
    totals = [sum(values.get(column, 0) for values in series.values()) for column in columns]
    maximum = max(totals, default=0) or 1
    slot = (width - left) / max(len(columns), 1)
    bar_width = max(slot * 0.8, 1.0)
    bars: list[Bar] = []
    labels: list[Axis] = [Axis(0, top + 10, str(maximum)), Axis(0, top + plot_height, "0")]
    every = max(1, round(len(columns) / 12))
    for index, column in enumerate(columns):
        x = left + index * slot + (slot - bar_width) / 2
        y = top + plot_height
        for name, values in series.items():
            value = values.get(column, 0)
            if value <= 0:
                continue
            bar_height = plot_height * value / maximum
            y -= bar_height
            bars.append(Bar(round(x, 2), round(y, 2), round(bar_width, 2), round(bar_height, 2),
                            f"{class_prefix}{name}", f"{column}: {display(name)} {value}"))
        if index % every == 0:
            labels.append(Axis(round(left + index * slot, 2), height - 6, column))
    return Chart(width=width, height=height, bars=tuple(bars), labels=tuple(labels),
                 maximum=max(totals, default=0), title=title)


def share_bar(shares: Sequence[tuple[str, int]], *, width: int = 600, height: int = 18,
              class_prefix: str = "group-", display: Callable[[str], str] = str) -> Chart:
    """A single horizontal bar split in proportion to each ``(name, amount)``."""
    total = sum(amount for _, amount in shares) or 1
    bars: list[Bar] = []
    x = 0.0
    for name, amount in shares:
        bar_width = width * amount / total
        bars.append(Bar(round(x, 2), 0, round(bar_width, 2), height, f"{class_prefix}{name}",
                        f"{display(name)}: {amount}"))
        x += bar_width
    return Chart(width=width, height=height, bars=tuple(bars), labels=(), maximum=total, title="")
