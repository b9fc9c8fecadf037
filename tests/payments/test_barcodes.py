"""Code 128 as inline SVG: embeddable, accessible, and the bars decode back to the content."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import barcode
import pytest

from payments.barcodes import code128_svg

SVG = "{http://www.w3.org/2000/svg}"


def _modules(svg: str) -> str:
    """The bar pattern read back from the drawn rects (1 = black module)."""
    root = ET.fromstring(svg)
    bars = root.find(f"{SVG}g").findall(f"{SVG}rect")
    end = max(int(b.get("x")) + int(b.get("width")) for b in bars)
    start = min(int(b.get("x")) for b in bars)
    pattern = ["0"] * (end - start)
    for bar in bars:
        x = int(bar.get("x")) - start
        for i in range(int(bar.get("width"))):
            pattern[x + i] = "1"
    return "".join(pattern)


@pytest.mark.parametrize("content", ["1234567890123456", "40028922", "ABC-123"])
def test_the_bars_are_the_code128_of_the_content(content):
    svg = code128_svg(content)

    assert _modules(svg) == barcode.get("code128", content).build()[0]


def test_the_svg_embeds_safely_and_names_its_digits():
    svg = code128_svg("98765432100")

    assert svg.startswith("<svg ") and "<?xml" not in svg and "DOCTYPE" not in svg
    assert 'role="img"' in svg and 'aria-label="98765432100"' in svg
    assert "style=" not in svg  # the CSP allows no inline styles
    assert re.search(r'viewBox="0 0 \d+ 50"', svg)


def test_the_label_is_escaped():
    svg = code128_svg('12"<b>')

    assert 'aria-label="12&quot;&lt;b&gt;"' in svg
    ET.fromstring(svg)  # still well-formed
