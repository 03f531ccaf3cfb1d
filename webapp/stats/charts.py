"""Turn chart data (webapp.stats.series) into what a page shows: SVG, a summary and a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from webapp.stats.svg import Line, bar_chart, line_chart, number


@dataclass(frozen=True, slots=True)
class ChartView:
    """One chart with its text alternatives: a one-line summary and the numbers as a table."""

    ident: str
    title: str
    summary: str
    svg: Markup
    columns: list[str]
    rows: list[list[str]]
    legend: list[tuple[str, str]] | None = None  # (CSS class, name) per line


def _table(labels: Sequence[str], *columns: Sequence[Any]) -> list[list[str]]:
    return [
        [label, *("-" if col[i] is None else number(col[i]) for col in columns)]
        for i, label in enumerate(labels)
    ]


def _best(labels: Sequence[str], values: Sequence[float]) -> str:
    top = max(range(len(values)), key=lambda i: values[i])
    return f"best {number(values[top])} in {labels[top]}"


def points_chart(*, ident: str, name: str, data: dict[str, Any]) -> ChartView | None:
    """Return the bars of points per race, or None before any race scored."""
    labels, points = data["labels"], data["points"]
    if not points:
        return None
    names = [
        f"{label} {race}" for label, race in zip(labels, data.get("races", labels), strict=True)
    ]
    summary = (
        f"{name}: {sum(points)} points over {len(points)} race{'s' if len(points) != 1 else ''}, "
        f"{_best(labels, points)}."
    )
    title = f"{name}: points per race"
    return ChartView(
        ident=ident,
        title=title,
        summary=summary,
        svg=bar_chart(
            ident=ident, title=title, desc=summary, labels=labels, values=points, names=names
        ),
        columns=["Race", "Points"],
        rows=_table(labels, points),
    )


def _one_line(
    *,
    ident: str,
    name: str,
    what: str,
    summary: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str,
    columns: list[str],
    rows: list[list[str]],
    invert: bool = False,
) -> ChartView:
    """Return the chart of one asset's or team's line over the season (`what` names it)."""
    title = f"{name}: {what}"
    return ChartView(
        ident=ident,
        title=title,
        summary=summary,
        svg=line_chart(
            ident=ident,
            title=title,
            desc=summary,
            labels=labels,
            series=[Line(name, list(values), mine=True)],
            unit=unit,
            invert=invert,
        ),
        columns=columns,
        rows=rows,
    )


def rank_chart(*, ident: str, name: str, data: dict[str, Any]) -> ChartView | None:
    """Return the line of a team's overall rank after each race, first place on top."""
    labels, ranks = data["labels"], data["ranks"]
    if not ranks:
        return None
    return _one_line(
        ident=ident,
        name=name,
        what="overall rank after each race",
        summary=(
            f"{name} ranks {ranks[-1]} of {data['teams'][-1]} after {labels[-1]}; "
            f"best {min(ranks)}, worst {max(ranks)}."
        ),
        labels=labels,
        values=ranks,
        unit="rank",
        invert=True,
        columns=["Race", "Rank", "Teams", "Total points"],
        rows=_table(labels, ranks, data["teams"], data["totals"]),
    )


def price_chart(*, ident: str, name: str, data: dict[str, Any]) -> ChartView | None:
    """Return the price after each race: the market's, or the flat starting price without one."""
    labels, prices = data["labels"], data["prices"]
    if not prices:
        return None
    # Series cached before prices moved carry no starting price: their first stands in.
    start: float = data.get("price") or prices[0]
    game = data.get("price_game")
    flat = len({start, *prices}) == 1
    where = f" in the {game} game" if game else ""
    return _one_line(
        ident=ident,
        name=name,
        what="price per race",
        summary=f"{name} costs {number(prices[-1])}{where}"
        + (
            " and has cost the same all season."
            if flat
            else f", from {number(start)} at the start."
        ),
        labels=labels,
        values=prices,
        unit="price",
        columns=["Race", "Price"],
        rows=_table(labels, prices),
    )


def league_chart(
    *, ident: str, name: str, data: dict[str, Any], mine: set[int]
) -> ChartView | None:
    """Return one cumulative line per team, the reader's (team ids `mine`) highlighted."""
    labels, teams = data["labels"], data["teams"]
    if not labels or not teams:
        return None
    series = [Line(t["name"], t["totals"], mine=t["team_id"] in mine) for t in teams]
    leader = teams[0]
    summary = (
        f"{name} after {labels[-1]}: {leader['name']} leads with {leader['totals'][-1]} points"
        f" ({len(teams)} team{'s' if len(teams) != 1 else ''} shown)."
    )
    title = f"{name}: points over the season"
    return ChartView(
        ident=ident,
        title=title,
        summary=summary,
        svg=line_chart(ident=ident, title=title, desc=summary, labels=labels, series=series),
        columns=["Race", *(t["name"] for t in teams)],
        rows=_table(labels, *(t["totals"] for t in teams)),
        legend=[
            (f"series-{i % 6}" + (" chart-mine" if line.mine else ""), line.name)
            for i, line in enumerate(series)
        ],
    )


def duel_chart(*, ident: str, duel: dict[str, Any]) -> ChartView:
    """Return two teams' running totals side by side, with the race-by-race points."""
    labels, a, b = duel["labels"], duel["a"], duel["b"]
    wins = duel["wins"]
    summary = (
        f"{a['name']} {a['totals'][-1] if a['totals'] else 0} points, "
        f"{b['name']} {b['totals'][-1] if b['totals'] else 0}; races won {wins['a']} to {wins['b']}"
        + (f", {wins['even']} even." if wins["even"] else ".")
    )
    title = f"{a['name']} against {b['name']}"
    return ChartView(
        ident=ident,
        title=title,
        summary=summary,
        svg=line_chart(
            ident=ident,
            title=title,
            desc=summary,
            labels=labels,
            series=[Line(a["name"], a["totals"], mine=True), Line(b["name"], b["totals"])],
        ),
        columns=["Race", a["name"], b["name"], f"{a['name']} total", f"{b['name']} total"],
        rows=_table(labels, a["points"], b["points"], a["totals"], b["totals"]),
        legend=[("series-0 chart-mine", a["name"]), ("series-1", b["name"])],
    )
