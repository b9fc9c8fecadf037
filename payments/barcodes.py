"""Barcodes drawn as inline SVG: Code 128 for cash vouchers (the collection point scans it).

python-barcode encodes the content into modules; we draw the bars ourselves as `<rect>`s
with `fill` attributes (no inline `style`, which our CSP forbids, and no XML declaration,
so the string embeds in a page or a WeasyPrint PDF as it is).
"""

from __future__ import annotations

import itertools

import barcode
from django.utils.html import escape

_QUIET = 10  # modules of white either side, as scanners need
_HEIGHT = 50  # bar height in modules


def code128_svg(content: str) -> str:
    """`content` as a Code 128 barcode, an `<svg>` element with role="img" and the
    content as its accessible name."""
    modules = barcode.get("code128", content).build()[0]
    width = len(modules) + 2 * _QUIET
    bars = []
    x = _QUIET
    for bit, run in itertools.groupby(modules):
        length = len(list(run))
        if bit == "1":
            bars.append(f'<rect x="{x}" y="0" width="{length}" height="{_HEIGHT}"/>')
        x += length
    label = escape(content)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" role="img" '
        f'aria-label="{label}" viewBox="0 0 {width} {_HEIGHT}" width="{width * 2}" '
        f'height="{_HEIGHT * 2}" preserveAspectRatio="none">'
        f'<rect x="0" y="0" width="{width}" height="{_HEIGHT}" fill="#fff"/>'
        f'<g fill="#000">{"".join(bars)}</g></svg>'
    )
