"""Report charts drawn with matplotlib's Agg backend, as SVG text or PNG bytes.

No tile server and no network: the camp map is a scatter of the shipped coordinates with
labels, on a plain longitude/latitude frame (equal-area enough at this latitude span). Camps
without verified coordinates are listed under the map instead of being guessed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from kirok.domain.indicators import Indicator  # noqa: E402
from kirok.domain.records import Designation, Resolution  # noqa: E402
from kirok.domain.tracker import designation_timeline, vote_series  # noqa: E402
from kirok.reports.model import Camp  # noqa: E402

__all__ = ["camp_map", "designation_chart", "indicator_chart", "render", "vote_chart"]

Format = Literal["svg", "png"]

# Deterministic SVG output: no random ids or dates in the file.
plt.rcParams["svg.hashsalt"] = "kirok"
plt.rcParams["svg.fonttype"] = "path"


def render(fig: Figure, fmt: Format) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buffer, format=fmt, bbox_inches="tight", dpi=120, metadata=metadata)
    plt.close(fig)
    return buffer.getvalue()


def vote_chart(resolutions: Sequence[Resolution]) -> Figure:
    """Yes / no / abstain per resolution over time, one panel per body; consensus marked."""
    series = vote_series(resolutions)
    fig, axes = plt.subplots(
        len(series) or 1, 1, figsize=(8, 2.2 * max(len(series), 1)), squeeze=False, sharex=True
    )
    for ax, (body, points) in zip(axes[:, 0], series.items(), strict=False):
        when = [p.year + (0.5 if body == "UNGA" else 0.2) for p in points]
        for attr, colour in (("yes", "#2b7a3d"), ("no", "#b22222"), ("abstain", "#888888")):
            # NaN breaks the line: a year without a verified count is a gap, not a slope.
            ys = [math.nan if getattr(p, attr) is None else getattr(p, attr) for p in points]
            ax.plot(when, ys, marker="o", ms=3, color=colour, label=attr)
        unrecorded = [w for w, p in zip(when, points, strict=True) if p.yes is None]
        ax.scatter(
            unrecorded,
            [0] * len(unrecorded),
            marker="|",
            s=80,
            color="black",
            label="no recorded vote, or yes count not verified",
        )
        ax.set_title(body, fontsize=9, loc="left")
        ax.set_ylabel("states")
        ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return fig


def designation_chart(designations: Sequence[Designation]) -> Figure:
    """One bar per (country, programme): the periods each status held, labelled."""
    timeline = designation_timeline(designations)
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.5 * max(len(timeline), 1)))
    for row, periods in enumerate(timeline.values()):
        statuses = sorted({p.designation.status for p in periods})
        for period in periods:
            start = period.start.year + period.start.timetuple().tm_yday / 366
            end = (
                (period.end.year + period.end.timetuple().tm_yday / 366)
                if period.end
                else (period.designation.year + 1)
            )
            shade = 0.35 + 0.5 * statuses.index(period.designation.status) / max(len(statuses), 1)
            ax.barh(
                row,
                end - start,
                left=start,
                color=plt.get_cmap("Reds")(shade),
                edgecolor="white",
                linewidth=0.3,
            )
        ax.text(periods[-1].start.year + 1.2, row, ", ".join(statuses), va="center", fontsize=7)
    ax.set_yticks(range(len(timeline)))
    ax.set_yticklabels([f"{c} {p}" for c, p in timeline], fontsize=8)
    ax.set_xlabel("year")
    ax.grid(axis="x", alpha=0.3)
    return fig


def indicator_chart(indicator: Indicator) -> Figure:
    """Yearly values with their intervals as error bars."""
    fig, ax = plt.subplots(figsize=(6, 2.6))
    years = [p.year for p in indicator.points]
    values = [p.value for p in indicator.points]
    below = [p.value - p.lower for p in indicator.points]
    above = [p.upper - p.value for p in indicator.points]
    ax.errorbar(years, values, yerr=[below, above], fmt="o-", ms=3, capsize=2, color="#1f4e79")
    ax.set_title(indicator.label, fontsize=9, loc="left")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if years:
        ax.set_xlim(min(years) - 0.5, max(years) + 0.5)
    ax.grid(alpha=0.3)
    return fig


def camp_map(camps: Sequence[Camp]) -> Figure:
    located = [
        (c.name, c.kind, c.lon, c.lat) for c in camps if c.lat is not None and c.lon is not None
    ]
    points: list[tuple[str, str, float, float]] = [
        (name, kind, lon, lat)
        for name, kind, lon, lat in located
        if lon is not None and lat is not None
    ]
    fig, ax = plt.subplots(figsize=(6, 6))
    markers = {"kwanliso": ("s", "#8b0000"), "kyohwaso": ("o", "#d2691e")}
    for kind, (marker, colour) in markers.items():
        group = [p for p in points if p[1] == kind]
        ax.scatter(
            [p[2] for p in group],
            [p[3] for p in group],
            marker=marker,
            color=colour,
            label=kind,
            zorder=3,
        )
    others = [p for p in points if p[1] not in markers]
    if others:
        ax.scatter(
            [p[2] for p in others],
            [p[3] for p in others],
            marker="^",
            color="k",
            label="other",
            zorder=3,
        )
    for name, _kind, lon, lat in points:
        ax.annotate(name, (lon, lat), xytext=(4, 3), textcoords="offset points", fontsize=7)
    ax.set_xlim(124.0, 131.0)
    ax.set_ylim(37.6, 43.1)
    ax.set_aspect(1.25)  # ~1/cos(40°): degrees of longitude are shorter at this latitude
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return fig
