"""The HTML pages: they parse, hold the table and the charts, point nowhere outside themselves, escape data."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bench import html
from bench.benchmark import publish
from bench.results import read_builds, read_run
from tests import chart_data as cd
from tests.conftest import FIXTURES

SEED = FIXTURES / "results/seed"
VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "embed", "source", "track", "wbr"}
EXTERNAL = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


class Page(HTMLParser):
    """Every element with its attributes, the text, and any tag that was closed out of order."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.mismatched: list[str] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.mismatched.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.stack and self.stack[-1] == "style":
            self.styles.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)

    def links(self) -> list[str]:
        """Every URL the page would load or follow: src and href attributes, and url(...) in CSS."""
        found = [v or "" for _, attrs in self.tags for k, v in attrs.items() if k in ("src", "href", "xlink:href")]
        css = self.styles + [attrs.get("style") or "" for _, attrs in self.tags]
        return found + [m for s in css for m in re.findall(r"url\(\s*['\"]?([^)'\"]*)", s)]


def parse(text: str) -> Page:
    page = Page(text)
    assert page.mismatched == [] and page.stack == []
    return page


@pytest.fixture(scope="module")
def seed_page() -> str:
    return html.render_run_page(read_run(SEED), read_builds(SEED))


@pytest.fixture(scope="module")
def synthetic_page() -> str:
    return html.render_run_page(cd.run_info(), cd.records())


def test_run_page_parses_and_holds_headline_table_charts_and_provenance(seed_page: str) -> None:
    page = parse(seed_page)
    text = " ".join(page.text)
    assert seed_page.startswith("<!DOCTYPE html>")
    assert "is 30.4 MB smaller than" in text and "<code>mount</code>" in seed_page
    assert page.count("table") == 2 and "image size" in text and "334.7 MB" in text  # results, where the time goes
    assert page.count("svg") == 3 and page.count("figure") == 3  # size, time, timeline; one scenario: no savings
    assert "BuildKit v0.8" in text and "stand-in bench-standin/python-slim" in text
    assert page.count("li") >= 6


def test_run_page_refers_to_nothing_outside_itself(seed_page: str, synthetic_page: str) -> None:
    for text in (seed_page, synthetic_page):
        page = parse(text)
        links = page.links()
        assert links and all(link.startswith("#") for link in links)  # only the charts' own clip paths and glyphs
        assert not [link for link in links if EXTERNAL.match(link)]
        assert "http" not in text  # not even namespace names: the SVG prolog and metadata are gone


def test_chart_ids_are_unique_on_the_page(synthetic_page: str) -> None:
    page = parse(synthetic_page)
    ids = [attrs["id"] for _, attrs in page.tags if "id" in attrs]
    assert len(ids) == len(set(ids))
    targets = {link[1:] for link in page.links()}
    assert targets <= set(ids)  # every internal reference still resolves


def test_charts_carry_their_alt_text(synthetic_page: str) -> None:
    page = parse(synthetic_page)
    svgs = [attrs for tag, attrs in page.tags if tag == "svg"]
    assert len(svgs) == 4  # two scenarios: the savings chart too
    assert all(a.get("role") == "img" and a.get("aria-label") for a in svgs)
    assert str(svgs[0]["aria-label"]).startswith("Final image size by variant")


def test_run_page_lists_failed_builds_and_warnings(synthetic_page: str, seed_page: str) -> None:
    assert "<h2>Failed builds</h2>" in synthetic_page and "tiny/mount #5: pip: no matching distribution" in (
        synthetic_page)
    assert "<h2>Warnings</h2>" in seed_page and "only 1 measurement" in seed_page


def test_run_page_escapes_everything_from_the_data() -> None:
    records = cd.records(("seed",), repeats=2, fail=None)
    bad = replace(records[-1], status="failed", error="<b>boom</b>", log_tail="</pre><script>x()</script>",
                  image_size_bytes=None, layers=(), steps=())
    run = cd.run_info(run_id="<script>alert(1)</script>")
    text = html.render_run_page(run, [*records, bad])
    parse(text)
    assert "<script>" not in text and "<b>boom" not in text
    assert "&lt;b&gt;boom&lt;/b&gt;" in text and "&lt;script&gt;alert(1)" in text
    assert "kernel 6.1 &lt;test&gt;" in text
    assert "stand-in bench-standin/python-slim:3.11 (debootstrap &amp; trim)" in text


def test_same_input_gives_the_same_page(seed_page: str) -> None:
    assert html.render_run_page(read_run(SEED), read_builds(SEED)) == seed_page


def test_index_lists_runs_newest_first_with_relative_links() -> None:
    old, new = cd.run_info("old-run", "2026-01-01T00:00:00+00:00"), cd.run_info("new-run", "2026-02-01T00:00:00+00:00")
    entries = [("old-run/index.html", old, cd.records(("seed",), repeats=2)),
               ("new-run/index.html", new, cd.records(repeats=2))]
    text = html.render_index(entries)
    page = parse(text)
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert hrefs == ["new-run/index.html", "old-run/index.html"]
    rows = re.findall(r"<tr>(.*?)</tr>", text, flags=re.DOTALL)[1:]
    assert "seed, tiny" in rows[0] and "copy, copy-rm, mount" in rows[0] and "seed, tiny" not in rows[1]
    assert "12 measured, 6 warm-up" in rows[0] and "(1 failed)" in rows[0]
    assert "<code>mount</code> is 30.0 MB smaller" in rows[1]
    assert page.count("svg") == 1 and "Across runs" in text  # two runs: the chart across them
    assert not [link for link in page.links() if EXTERNAL.match(link)]
    assert html.render_index(list(reversed(entries))) == text


def test_index_of_one_run_has_no_across_runs_chart_and_refuses_external_links() -> None:
    entry = ("seed/index.html", read_run(SEED), read_builds(SEED))
    assert "<svg" not in html.render_index([entry])
    with pytest.raises(ValueError, match="relative path"):
        html.render_index([("https://example.com/seed/", entry[1], entry[2])])


def test_publish_lists_every_run_and_inlines_the_across_runs_chart_it_saved(tmp_path: Path) -> None:
    for name in ("seed", "tiny-v2"):
        shutil.copytree(FIXTURES / "results" / name, tmp_path / name)
    (tmp_path / "latest").symlink_to("tiny-v2")
    written = publish(tmp_path)
    assert written == [tmp_path / "index.html", tmp_path / "across-runs.png", tmp_path / "across-runs.svg"]
    assert (tmp_path / "seed/index.html").is_file() and (tmp_path / "tiny-v2/index.html").is_file()
    text = written[0].read_text()
    alt = "Median image size and build time of each scenario and variant across runs, oldest first"
    assert html.inline_svg(written[2].read_text(encoding="utf-8"), "across-runs", alt) in text
    hrefs = {attrs["href"] for tag, attrs in parse(text).tags if tag == "a"}
    assert hrefs == {"seed/index.html", "tiny-v2/index.html"}  # not results/latest


def test_inline_svg_prefixes_ids_and_references() -> None:
    svg = ('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1pt"><metadata>x</metadata>'
           '<clipPath id="p1"/><g clip-path="url(#p1)"><use xlink:href="#g1"/></g></svg>')
    out = html.inline_svg(svg, "c", 'a "b" <c>')
    assert out.startswith('<svg role="img" aria-label="a &quot;b&quot; &lt;c&gt;" width="1pt">')
    assert 'id="c-p1"' in out and "url(#c-p1)" in out and 'xlink:href="#c-g1"' in out
    assert "metadata" not in out and "http" not in out and "<title>a &quot;b&quot; &lt;c&gt;</title>" in out


@pytest.mark.parametrize("name", ["tiny-v2"])
def test_page_of_a_real_schema_2_run(name: str) -> None:
    folder = FIXTURES / "results" / name
    page = parse(html.render_run_page(read_run(folder), read_builds(folder)))
    assert page.count("svg") == 3 and page.count("table") == 2
    assert not [link for link in page.links() if not link.startswith("#")]
    text = " ".join(page.text)
    assert "copy-rm" in text and "mount" in text and "BuildKit" in text
