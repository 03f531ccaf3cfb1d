"""Charts as inline SVG: small pure functions from data series to accessible markup.

No chart script and no inline style (the CSP refuses both): shapes carry classes that
static/css/app.css colours from the page's variables. A viewBox and `width: 100%` let a
chart scale down to a 375 px phone; labels thin out so they never overlap. Every chart has a
<title> and a <desc>; pages add the numbers as a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 14, 34, 40
MAX_X_LABELS = 12


@dataclass(frozen=True, slots=True)
class Line:
    """One series of a line chart; None is a gap (no value at that point)."""

    name: str
    values: Sequence[float | None]
    mine: bool = False


def number(value: float) -> str:
    """Return a value as a label: whole numbers bare, others with one decimal."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def nice_step(span: float, *, intervals: int = 4) -> float:
    """Return a round step (1, 2 or 5 times a power of ten) cutting `span` in ~`intervals`."""
    raw = max(span, 1e-9) / intervals
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def ticks(low: float, high: float, *, whole: bool = True) -> list[float]:
    """Return round axis values covering [low, high], low and high included."""
    step = nice_step(high - low)
    if whole:
        step = max(1.0, round(step))
    start = math.floor(low / step) * step
    values = []
    value = start
    while value < high + step / 2:
        values.append(round(value, 6))
        value += step
    if values[-1] < high:
        values.append(values[-1] + step)
    return values


def label_every(count: int) -> int:
    """Return how many points share one x label so that at most MAX_X_LABELS show."""
    return max(1, math.ceil(count / MAX_X_LABELS))


class _Frame:
    """The plot area of one chart: maps data to SVG coordinates."""

    def __init__(self, *, count: int, low: float, high: float, invert: bool = False) -> None:
        self.count = max(count, 1)
        self.low, self.high = low, (high if high > low else low + 1)
        self.invert = invert
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM

    def x(self, index: int) -> float:
        """Return the centre of slot `index`."""
        return LEFT + (index + 0.5) * self.plot_w / self.count

    def y(self, value: float) -> float:
        """Return the height of `value` (high values up, or low ones when inverted)."""
        share = (value - self.low) / (self.high - self.low)
        if self.invert:
            share = 1 - share
        return TOP + (1 - share) * self.plot_h

    @property
    def slot(self) -> float:
        """Return the width one point has."""
        return self.plot_w / self.count


def _open(ident: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" id="{ident}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]


def _axes(frame: _Frame, values: list[float], labels: Sequence[str], unit: str) -> list[str]:
    parts = ['<g class="chart-axis" aria-hidden="true">']
    for value in values:
        y = frame.y(value)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="chart-label" x="{LEFT - 6}" y="{y + 5:.1f}" text-anchor="end">'
            f"{escape(number(value))}</text>"
        )
    every = label_every(len(labels))
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(
                f'<text class="chart-label" x="{frame.x(index):.1f}" y="{HEIGHT - BOTTOM + 22}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(
        f'<text class="chart-label chart-unit" x="4" y="18" text-anchor="start">'
        f"{escape(unit)}</text>"
    )
    parts.append("</g>")
    return parts


def bar_chart(
    *,
    ident: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float],
    names: Sequence[str] | None = None,
    unit: str = "pts",
) -> Markup:
    """Return a bar chart of one value per label (negative values hang below zero)."""
    low, high = min([0.0, *values]), max([0.0, *values])
    axis = ticks(low, high if high > low else low + 1)
    frame = _Frame(count=len(values), low=axis[0], high=axis[-1])
    parts = _open(ident, title, desc)
    parts += _axes(frame, axis, labels, unit)
    zero = frame.y(0)
    width = frame.slot * 0.7
    parts.append('<g class="chart-bars">')
    for index, value in enumerate(values):
        top = min(zero, frame.y(value))
        height = max(abs(frame.y(value) - zero), 1.0)
        name = names[index] if names else labels[index]
        kind = "chart-bar chart-bar-negative" if value < 0 else "chart-bar"
        parts.append(
            f'<rect class="{kind}" x="{frame.x(index) - width / 2:.1f}" y="{top:.1f}" '
            f'width="{width:.1f}" height="{height:.1f}">'
            f"<title>{escape(name)}: {escape(number(value))} {escape(unit)}</title></rect>"
        )
    parts.append("</g></svg>")
    # Every value that came from data is escaped above.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def line_chart(
    *,
    ident: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Line],
    unit: str = "pts",
    invert: bool = False,
) -> Markup:
    """Return a line chart, one line per series; `invert` puts low values on top (ranks)."""
    known = [v for line in series for v in line.values if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if not invert:
        low = min(low, 0.0)
    axis = ticks(low, high if high > low else low + 1)
    if invert:
        axis = [v for v in axis if v >= 1] or [1.0]
        if axis[0] > 1:
            axis.insert(0, 1.0)
    frame = _Frame(count=len(labels), low=axis[0], high=axis[-1], invert=invert)
    parts = _open(ident, title, desc)
    parts += _axes(frame, axis, labels, unit)
    # Mine last, so it is drawn over the others.
    order = sorted(range(len(series)), key=lambda i: series[i].mine)
    for index in order:
        line = series[index]
        kind = f"chart-series series-{index % 6}" + (" chart-mine" if line.mine else "")
        parts.append(f'<g class="{kind}">')
        run: list[str] = []
        for point, value in enumerate(line.values):
            if value is None:
                parts += _polyline(run)
                run = []
                continue
            run.append(f"{frame.x(point):.1f},{frame.y(value):.1f}")
        parts += _polyline(run)
        for point, value in enumerate(line.values):
            if value is not None:
                parts.append(
                    f'<circle class="chart-dot" cx="{frame.x(point):.1f}" '
                    f'cy="{frame.y(value):.1f}" r="{4 if line.mine else 3}">'
                    f"<title>{escape(line.name)}, {escape(labels[point])}: "
                    f"{escape(number(value))} {escape(unit)}</title></circle>"
                )
        parts.append("</g>")
    parts.append("</svg>")
    # Every value that came from data is escaped above.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def _polyline(points: list[str]) -> list[str]:
    if len(points) < 2:
        return []
    return [f'<polyline class="chart-line" points="{" ".join(points)}"/>']
