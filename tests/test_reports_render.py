from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kirok.reports.model import SECTIONS, Audience, Citation, Figure, ReportData, Section
from kirok.reports.render import render_html, render_markdown, write_report
from kirok.reports.sample import sample_report


@pytest.fixture(scope="module")
def public() -> ReportData:
    return sample_report(Audience.PUBLIC)


@pytest.fixture(scope="module")
def html(public: ReportData) -> str:
    return render_html(public)


def _hostile(report: ReportData) -> ReportData:
    sections = list(report.sections)
    figure = Figure(
        label="<script>alert(1)</script> | pipe",
        value=7,
        query="q <b>bold</b>",
        citations=[Citation(ref="W-1", publishable=True)],
    )
    sections[1] = Section(key=sections[1].key, figures=[figure])
    return report.model_copy(update={"sections": sections})


def test_html_has_every_section_every_number_and_no_template_residue(
    public: ReportData, html: str
) -> None:
    for number, title in enumerate(SECTIONS.values(), start=1):
        assert f"<h2>{number}. {title}</h2>" in html
    assert "Record of actions" in html and "Indicators of verifiable change" in html
    for figure in public.figures():
        assert f">{figure.shown}<" in html, figure.label
        for citation in figure.citations:
            assert citation.ref in html
    assert "{{" not in html and "{%" not in html
    assert html.count("data:image/svg+xml;base64,") == 3 + len(public.indicators)
    assert "조선민주주의인민공화국" in html
    assert "tally not verified" in html and "88–21–60" in html


def test_record_text_is_escaped_in_html_and_markdown(public: ReportData, tmp_path: Path) -> None:
    hostile = _hostile(public)
    html = render_html(hostile, with_charts=False)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>bold</b>" not in html
    markdown = render_markdown(hostile, tmp_path, with_charts=False)
    assert "<script>" not in markdown
    row = next(line for line in markdown.splitlines() if "alert(1)" in line)
    assert "\\| pipe" in row  # a pipe in text must not split the table row


def test_markdown_writes_png_charts(public: ReportData, tmp_path: Path) -> None:
    path = write_report(public, "md", tmp_path)
    text = path.read_text(encoding="utf-8")
    for title in SECTIONS.values():
        assert f". {title}" in text
    images = re.findall(r"!\[[^\]]*\]\((charts/[^)]+\.png)\)", text)
    assert len(images) == 3 + len(public.indicators)
    for image in images:
        assert (tmp_path / image).read_bytes().startswith(b"\x89PNG")


def test_html_output_ships_the_font(public: ReportData, html: str, tmp_path: Path) -> None:
    assert 'url("fonts/NotoSansKR-Regular.woff")' in html
    write_report(public, "html", tmp_path, with_charts=False)
    assert (tmp_path / "fonts" / "NotoSansKR-Regular.woff").stat().st_size > 100_000


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} missing: apt-get install -y poppler-utils")
    return found


@pytest.mark.slow
def test_pdf_pages_render_with_sections_and_embedded_korean_font(
    public: ReportData, tmp_path: Path
) -> None:
    pdf = write_report(public, "pdf", tmp_path)
    text = subprocess.run(
        [_tool("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    for title in SECTIONS.values():
        assert title in flat, title
    assert "Record of actions" in flat
    assert "조선민주주의인민공화국" in flat
    for residue in ("{{", "{%", "Undefined", "Traceback", "TemplateError"):
        assert residue not in flat
    fonts = subprocess.run(
        [_tool("pdffonts"), str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    korean = [line for line in fonts.splitlines() if "Noto-Sans-KR" in line]
    assert korean and all(" yes " in line for line in korean)  # embedded
    subprocess.run(
        [_tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 5
    assert all(p.stat().st_size > 2_000 for p in pages)  # not blank
