"""Render a :class:`~kirok.reports.model.ReportData` to HTML, Markdown or PDF.

Templates run with autoescape ON for every format (record text may contain ``<script>``; a
Markdown file is often turned into HTML later) and ``StrictUndefined``, so a missing value is an
error at render time, never a blank in a published report. The PDF is HTML through WeasyPrint
with the Korean font shipped in ``reports/fonts`` (Noto Sans KR, SIL OFL 1.1), so Hangul renders
the same on every machine.
"""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from kirok.domain.tracker import vote_series
from kirok.reports import charts
from kirok.reports.model import RECORD_OF_ACTIONS, Audience, ReportData, check_publishable

__all__ = [
    "FONT_FILE",
    "Format",
    "render_html",
    "render_markdown",
    "render_pdf",
    "stylesheet_text",
    "write_report",
]

Format = Literal["html", "md", "pdf"]
FONT_FILE = "NotoSansKR-Regular.woff"


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _signed(value: float | None) -> str:
    return "—" if value is None else ("+" if value > 0 else "") + _fmt(value)


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kirok.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(fmt=_fmt, signed=_signed, record_of_actions=RECORD_OF_ACTIONS)
    env.filters["cell"] = _cell
    return env


@dataclass(frozen=True)
class _Chart:
    name: str
    data: bytes


def _charts(report: ReportData, fmt: charts.Format, wanted: bool = True) -> list[_Chart]:
    if not wanted:
        return []
    made = [
        _Chart("votes", charts.render(charts.vote_chart(report.actions.resolutions), fmt)),
        _Chart(
            "designations",
            charts.render(charts.designation_chart(report.actions.designations), fmt),
        ),
    ]
    if report.camps:
        made.append(_Chart("camp_map", charts.render(charts.camp_map(report.camps), fmt)))
    for i, block in enumerate(report.indicators):
        made.append(
            _Chart(f"indicator_{i}", charts.render(charts.indicator_chart(block.indicator), fmt))
        )
    return made


def _context(
    report: ReportData, chart_refs: dict[str, str], stylesheet: str | None = None
) -> dict[str, object]:
    if report.audience is Audience.PUBLIC:
        check_publishable(report)  # again: the model may have been built with construct()
    votes = [p for points in vote_series(report.actions.resolutions).values() for p in points]
    votes.sort(key=lambda p: (p.year, p.body))
    return {
        "report": report,
        "charts": chart_refs,
        "votes": votes,
        "unlocated": [c.name for c in report.camps if c.lat is None or c.lon is None],
        "css": stylesheet_text(),
        "stylesheet": stylesheet,
    }


def stylesheet_text() -> str:
    """The report's CSS (it loads the font from ``fonts/…`` next to it)."""
    return resources.files("kirok.reports").joinpath("templates/report.css").read_text("utf-8")


def render_html(
    report: ReportData, *, with_charts: bool = True, stylesheet: str | None = None
) -> str:
    """Self-contained HTML: charts inline as SVG data URIs; the font is referenced as
    ``fonts/…`` relative to the page (``write_report`` copies it next to the file).

    ``stylesheet``: link this URL instead of inlining the CSS, for a site whose
    Content-Security-Policy forbids inline styles.
    """
    refs = {
        c.name: "data:image/svg+xml;base64," + base64.b64encode(c.data).decode("ascii")
        for c in _charts(report, "svg", with_charts)
    }
    context = _context(report, refs, stylesheet)
    return _environment().get_template("report.html.j2").render(context)


def render_markdown(report: ReportData, out_dir: Path, *, with_charts: bool = True) -> str:
    """Markdown text; the charts are written as PNG files under ``out_dir/charts``."""
    chart_dir = out_dir / "charts"
    chart_dir.mkdir(parents=True, exist_ok=True)
    refs = {}
    for c in _charts(report, "png", with_charts):
        (chart_dir / f"{c.name}.png").write_bytes(c.data)
        refs[c.name] = f"charts/{c.name}.png"
    return _environment().get_template("report.md.j2").render(_context(report, refs))


def render_pdf(report: ReportData) -> bytes:
    from weasyprint import HTML  # imported late: loading it takes about a second

    html = render_html(report)
    with resources.as_file(resources.files("kirok.reports")) as base:
        pdf: bytes = HTML(string=html, base_url=str(base) + "/").write_pdf()
    return pdf


def write_report(
    report: ReportData, fmt: Format, out_dir: Path, *, with_charts: bool = True
) -> Path:
    """Write the report into ``out_dir`` and return the main file's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{report.country.lower()}-{report.year}-{report.audience.value}"
    if fmt == "pdf":
        path = out_dir / f"{stem}.pdf"
        path.write_bytes(render_pdf(report))
    elif fmt == "md":
        path = out_dir / f"{stem}.md"
        path.write_text(render_markdown(report, out_dir, with_charts=with_charts), encoding="utf-8")
    else:
        path = out_dir / f"{stem}.html"
        path.write_text(render_html(report, with_charts=with_charts), encoding="utf-8")
        fonts = out_dir / "fonts"
        fonts.mkdir(exist_ok=True)
        with resources.as_file(resources.files("kirok.reports").joinpath("fonts")) as src:
            shutil.copy2(src / FONT_FILE, fonts / FONT_FILE)
            shutil.copy2(src / "OFL-1.1.txt", fonts / "OFL-1.1.txt")
    return path
