"""Line charts of the last 13 weeks as inline SVG, readable in print and without colour.

Every network has its own line style and marker in black or grey (no meaning rests on colour), a
legend names them, gaps stay gaps (a week a network does not report is not drawn as 0), and the
axes use the report's language (German decimal commas).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 (the backend is chosen first)
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from socialmetrics.serve.report import i18n  # noqa: E402

WIDTH_IN, HEIGHT_IN = 3.45, 2.35
FONT_SIZE = 7.5
STYLES: dict[str, tuple[str, str, str]] = {  # network: (grey level, line style, marker)
    "facebook": ("0.0", "-", "o"),
    "linkedin": ("0.35", "--", "s"),
    "xing": ("0.5", "-.", "^"),
    "x": ("0.15", ":", "D"),
    "company": ("0.0", "-", "o"),  # the company among its competitors (report section "Im Vergleich")
}
FALLBACK_STYLES = (("0.25", (0, (5, 1, 1, 1)), "v"), ("0.45", (0, (1, 1)), "P"), ("0.1", (0, (8, 2)), "X"))
XML_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)


@dataclass(frozen=True)
class Series:
    """One line: a label (the network), its style key and one value per week (None = not reported)."""

    label: str
    style: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    """A rendered chart: inline SVG and how many data points it shows."""

    key: str
    title: str
    svg: str
    points: int


def _style(key: str, index: int) -> tuple[str, object, str]:
    return STYLES.get(key) or FALLBACK_STYLES[index % len(FALLBACK_STYLES)]


def formatter(kind: str, lang: str) -> Callable[[float, object], str]:
    """Axis labels: counts with thousands separators, rates in %, signed values with a sign."""

    def fmt(value: float, _pos: object) -> str:
        if kind == "signed_rate":  # a growth: signed, around 0
            return i18n.percent(value, lang, 1, sign=True)
        if kind == "rate":
            digits = 1 if abs(value) < 0.1 else 0
            return i18n.percent(value, lang, digits)
        if kind == "signed":
            return i18n.signed(value, lang, 0)
        if kind == "tone":
            return i18n.signed(value, lang, 1)
        return i18n.number(value, lang, 0)

    return fmt


def line_chart(
    key: str,
    title: str,
    week_numbers: Sequence[int],
    series: Sequence[Series],
    *,
    kind: str,
    lang: str,
    highlight_last: bool = True,
    legend_columns: int | None = None,
) -> Chart | None:
    """A chart of weekly values per series; None when there is not a single value to draw."""
    points = sum(1 for s in series for v in s.values if v is not None)
    if points == 0:
        return None
    with plt.rc_context(
        {
            "font.family": "DejaVu Sans",
            "font.size": FONT_SIZE,
            "axes.edgecolor": "0.3",
            "axes.linewidth": 0.6,
            "xtick.color": "0.2",
            "ytick.color": "0.2",
            "svg.fonttype": "path",
            "svg.hashsalt": f"socialmetrics-{key}",
        }
    ):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN), dpi=100)
        try:
            x = list(range(len(week_numbers)))
            if highlight_last:
                ax.axvspan(len(x) - 1.5, len(x) - 0.5, color="0.9", zorder=0, lw=0)
            for i, s in enumerate(series):
                grey, linestyle, marker = _style(s.style, i)
                ys = [float("nan") if v is None else v for v in s.values]
                ax.plot(
                    x,
                    ys,
                    color=grey,
                    linestyle=linestyle,
                    marker=marker,
                    markersize=3.6,
                    linewidth=1.3,
                    markerfacecolor="white" if i % 2 else grey,
                    markeredgecolor=grey,
                    label=s.label,
                    zorder=3,
                )
            if kind in ("signed", "tone", "signed_rate"):
                ax.axhline(0, color="0.5", linewidth=0.6, zorder=1)
            ax.set_xticks(x[::2] if len(x) > 7 else x)
            ax.set_xticklabels([str(week_numbers[i]) for i in (x[::2] if len(x) > 7 else x)])
            ax.set_xlim(-0.5, len(x) - 0.5)
            ax.set_xlabel(i18n.text("iso_week_axis", lang), color="0.2")
            if kind == "tone":  # net sentiment lives in -1..1: the whole scale, so weeks compare at a glance
                ax.set_ylim(-1.05, 1.05)
                ax.set_yticks([-1.0, -0.5, 0.0, 0.5, 1.0])
            else:
                ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=kind in ("count", "signed")))
            ax.yaxis.set_major_formatter(FuncFormatter(formatter(kind, lang)))
            if kind in ("count", "rate"):
                ax.set_ylim(bottom=0)
            ax.grid(axis="y", color="0.85", linewidth=0.5)
            ax.spines[["top", "right"]].set_visible(False)
            ax.legend(
                loc="lower left",
                bbox_to_anchor=(0, 1.01),
                ncol=legend_columns or min(len(series), 2 if len(series) > 3 else 3),  # four names do not fit a line
                frameon=False,
                handlelength=2.8,
                borderaxespad=0,
                columnspacing=1.2,
            )
            fig.tight_layout(pad=0.4)
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    svg = XML_PROLOGUE.sub("", buffer.getvalue(), count=1)
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return Chart(key, title, svg, points)
