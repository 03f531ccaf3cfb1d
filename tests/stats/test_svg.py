"""Charts as SVG: the markup's structure and its text alternative, not its pixels."""

from __future__ import annotations

import re

from webapp.stats.svg import Line, bar_chart, label_every, line_chart, ticks


def test_bar_chart_has_a_title_a_description_and_a_bar_per_value() -> None:
    svg = bar_chart(
        ident="c1",
        title="Points per race <Alpha>",
        desc="44 then 52",
        labels=["R1", "R2"],
        values=[44, 52],
    )
    assert svg.startswith('<svg class="chart" viewBox="0 0 640 260" role="img"')
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Points per race &lt;Alpha&gt;</title>' in svg
    assert svg.count('<rect class="chart-bar"') == 2
    assert "<title>R2: 52 pts</title>" in svg
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"', svg)]
    assert heights[0] < heights[1]


def test_negative_bars_hang_below_zero() -> None:
    svg = bar_chart(ident="c", title="t", desc="d", labels=["R1"], values=[-20])
    assert 'class="chart-bar chart-bar-negative"' in svg


def test_rank_lines_put_first_place_on_top_and_leave_gaps() -> None:
    svg = line_chart(
        ident="r",
        title="Rank",
        desc="d",
        labels=["R1", "R2", "R3"],
        series=[Line("Alpha", [1, None, 3], mine=True), Line("Beta", [2, 1, 1])],
        unit="rank",
        invert=True,
    )
    dots = re.findall(r'<circle class="chart-dot" cx="[\d.]+" cy="([\d.]+)"', svg)
    # Beta is drawn first (mine last): 2, 1, 1 then Alpha's 1, 3.
    beta, alpha = [float(y) for y in dots[:3]], [float(y) for y in dots[3:]]
    assert beta[1] < beta[0] and alpha[0] < alpha[1]
    assert svg.count('class="chart-series series-0 chart-mine"') == 1
    # Alpha's gap breaks its line: two lone points draw no line, Beta's three do.
    assert svg.count("<polyline") == 1


def test_axis_values_are_round_and_labels_thin_out() -> None:
    assert ticks(0, 93) == [0, 50, 100] or ticks(0, 93)[-1] >= 93
    assert all(v == int(v) for v in ticks(0, 7))
    assert label_every(24) == 2 and label_every(5) == 1
    svg = bar_chart(
        ident="c", title="t", desc="d", labels=[f"R{n}" for n in range(1, 25)], values=[1] * 24
    )
    assert len(re.findall(r">R\d+</text>", svg)) <= 13
