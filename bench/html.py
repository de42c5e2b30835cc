"""Self-contained HTML pages: one per run, and an index of runs. Pure: data in, text out.

A page needs nothing but itself: the CSS is inline, the charts are inline SVG, and nothing points outside the
page but the index's relative links to the run pages. Every piece of data is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from bench import charts, report
from bench.chart_base import variant_key
from bench.chart_render import RenderedChart, render
from bench.results import BuildRecord, RunInfo
from bench.summary import CellSummary, summarise
from bench.timeline import CATEGORIES

CSS = """
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em auto; max-width: 75em; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } tbody tr:nth-child(even) { background: #fafafa; }
.scroll { overflow-x: auto; }
figure { margin: 1.5em 0; } figcaption { font-size: 0.9em; color: #555; }
svg { max-width: 100%; height: auto; }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
.failed { color: #b00000; }
""".strip()

EXTERNAL = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def _inline(text: str) -> str:
    """Escape a line of report text, keeping its markdown `code` spans as <code>."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", escape(text))


def _list(items: Sequence[str], css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<ul{cls}>\n" + "\n".join(f"<li>{item}</li>" for item in items) + "\n</ul>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table></div>'


def inline_svg(svg: str, prefix: str, alt: str) -> str:
    """Matplotlib's SVG file as an element of an HTML page: no XML prolog, metadata or namespace URLs, ids
    prefixed so that several charts on one page do not share them, and the alt text as its accessible name."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'(href=")#([^"]+)"', rf'\1#{prefix}-\2"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    label = escape(alt)
    return re.sub(r"<svg\b", f'<svg role="img" aria-label="{label}"', svg, count=1).replace(
        ">", f">\n<title>{label}</title>", 1)


def _figure(stem: str, alt: str, svg: str) -> str:
    return f"<figure>\n{inline_svg(svg, stem, alt)}\n<figcaption>{escape(alt)}</figcaption>\n</figure>"


def _page(title: str, body: Sequence[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body>\n</html>\n")


def render_run_page(run: RunInfo, records: list[BuildRecord], *, summaries: Sequence[CellSummary] | None = None,
                    drawn: Sequence[RenderedChart] | None = None) -> str:
    """One run as a page: headline, summary table, charts, where the time goes, warnings, failed builds and
    where it ran. ``summaries`` and the ``drawn`` charts may be passed in when the caller has made them already:
    drawing a chart is the slow part of a report, and is done here in this process otherwise."""
    summaries = summarise(records) if summaries is None else summaries
    drawn = render(charts.chart_set(records, summaries), workers=1) if drawn is None else drawn
    lines = report.headline(summaries)
    body = [f"<h1>bench run {escape(run.run_id)}</h1>",
            _list([_inline(line) for line in lines]) if lines else "<p>No variant could be compared.</p>",
            "<h2>Results</h2>", f'<div class="scroll">{report.render_table(summaries, "html")}</div>',
            "<h2>Charts</h2>" if records else "",
            *(_figure(chart.stem, chart.alt, chart.svg) for chart in drawn),
            _time_section(summaries), _warnings_section(summaries), _failures_section(records),
            "<h2>Where it ran</h2>", _list([_inline(line.removeprefix("- ")) for line in report.provenance(run)])]
    return _page(f"bench run {run.run_id}", body)


def _time_section(summaries: Sequence[CellSummary]) -> str:
    rows = report.time_rows(summaries)
    if not rows:
        return ""
    headers = ["scenario", "variant", *CATEGORIES, "wall - BuildKit span"]
    return "<h2>Where the time goes (median seconds)</h2>\n" + _table(
        headers, [[escape(cell) for cell in row] for row in rows])


def _warnings_section(summaries: Sequence[CellSummary]) -> str:
    warned = [f"{escape(s.scenario)}/{escape(s.variant)}: {_inline(w)}" for s in summaries for w in s.warnings]
    return "<h2>Warnings</h2>\n" + _list(warned) if warned else ""


def _failures_section(records: Sequence[BuildRecord]) -> str:
    items = []
    for r in records:
        if r.ok:
            continue
        item = f"{escape(r.scenario)}/{escape(r.variant)} #{r.repeat}: {escape(r.error or 'no error recorded')}"
        if r.log_tail:
            item += f"\n<details><summary>log tail</summary><pre>{escape(r.log_tail)}</pre></details>"
        items.append(item)
    return "<h2>Failed builds</h2>\n" + _list(items, "failed") if items else ""


def _names(run: RunInfo, records: Sequence[BuildRecord], key: str) -> list[str]:
    """Scenario or variant names (the reference variant first), from the builds, else from the plan."""
    names = {getattr(r, key) for r in records} or {str(c.get(key)) for c in run.plan}
    return sorted(names, key=variant_key)


def _builds(records: Sequence[BuildRecord]) -> str:
    warmups = sum(1 for r in records if r.warmup)
    failed = sum(1 for r in records if not r.ok)
    parts = [f"{len(records) - warmups} measured"] + [f"{warmups} warm-up"] * bool(warmups)
    return ", ".join(parts) + (f' <span class="failed">({failed} failed)</span>' if failed else "")


def _index_row(href: str, run: RunInfo, records: Sequence[BuildRecord]) -> list[str]:
    if EXTERNAL.match(href):
        raise ValueError(f"{href!r}: the index links only to run pages by relative path")
    lines = report.headline(summarise(records))
    return [f'<a href="{escape(href)}">{escape(run.run_id)}</a>', escape(run.created_at),
            escape(", ".join(_names(run, records, "scenario"))), escape(", ".join(_names(run, records, "variant"))),
            _builds(records), "<br>".join(_inline(line) for line in lines) or "-"]


def render_index(entries: Sequence[tuple[str, RunInfo, list[BuildRecord]]], across_svg: str | None = None) -> str:
    """A page listing every run, newest first: a link to its page (the entry's relative path), run id, date,
    scenarios, variants, builds and headline; with 2+ runs, a chart of sizes and times across them (its SVG
    text may be passed in when the caller has drawn it already)."""
    ordered = sorted(entries, key=lambda e: (e[1].created_at, e[1].run_id), reverse=True)
    headers = ["run", "date (UTC)", "scenarios", "variants", "builds", "headline"]
    body = ["<h1>bench results</h1>", f"<p>{len(ordered)} run{'s' * (len(ordered) != 1)}.</p>",
            _table(headers, [_index_row(href, run, records) for href, run, records in ordered])]
    if len(ordered) >= 2:
        alt = "Median image size and build time of each scenario and variant across runs, oldest first"
        if across_svg is None:
            across_svg = charts.to_svg(charts.across_runs([(run, records) for _, run, records in ordered]))
        body += ["<h2>Across runs</h2>", _figure("across-runs", alt, across_svg)]
    return _page("bench results", body)
