"""The digest's chart: complaints logged per day, stacked by status, as a PNG.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global figure state),
so it works headless and from several tasks at once. Call it in a worker thread: it is CPU work.
"""

from __future__ import annotations

import io

from bot.councils.digest import ChartData

COLOURS = {
    "new": "#e63946",
    "assigned": "#f4a261",
    "responded": "#2a9d8f",
    "resolved": "#1d3557",
    "dismissed": "#a8a8a8",
}


def render_chart(data: ChartData, title: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(data.days)))
    bottom = [0] * len(data.days)
    for status, values in data.counts.items():
        axes.bar(positions, values, bottom=bottom, label=status, color=COLOURS.get(status, "#457b9d"), width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(data.days) // 10)
    axes.set_xticks(positions[::step], [day.strftime("%d %b") for day in data.days[::step]])
    axes.set_ylabel("complaints logged")
    axes.set_title(title, fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # MaxNLocator's own
    axes.set_ylim(0, max([*bottom, 1]) * 1.25)  # room for the legend above the tallest bar
    if data.counts:
        axes.legend(loc="upper left", fontsize=8, frameon=False, ncols=min(5, len(data.counts)))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
