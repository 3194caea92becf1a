"""Product pictures drawn as SVG: no downloads, no image files.

Each category has a motif (a simple line drawing) and a colour; each product
gets its own shade and a background pattern derived from its id, so a grid of
products looks varied but a category stays recognisable.
"""

from __future__ import annotations

import colorsys
import hashlib
from html import escape

#: line drawings on a 200x200 canvas, centred around (100, 100)
MOTIFS: dict[str, str] = {
    "book": (
        '<path d="M48 62 Q74 50 100 62 Q126 50 152 62 V146 Q126 134 100 146 Q74 134 48 146 Z"/>'
        '<path d="M100 62 V146"/><path d="M60 78 H88 M60 92 H88 M112 78 H140 M112 92 H140"/>'
    ),
    "cup": (
        '<path d="M58 78 H132 V118 Q132 146 95 146 Q58 146 58 118 Z"/>'
        '<path d="M132 88 Q154 88 154 106 Q154 124 132 122"/>'
        '<path d="M80 50 Q72 60 80 68 M98 46 Q90 58 98 68 M116 50 Q108 60 116 68"/>'
    ),
    "pan": (
        '<ellipse cx="86" cy="104" rx="40" ry="30"/><path d="M124 98 L166 84 L170 94 L127 110"/>'
        '<ellipse cx="86" cy="104" rx="26" ry="18"/>'
    ),
    "leaf": (
        '<path d="M56 146 Q50 70 146 54 Q150 140 56 146 Z"/><path d="M56 146 Q96 104 128 72"/>'
        '<path d="M84 116 L82 96 M104 98 L104 80 M96 120 L116 122"/>'
    ),
    "note": (
        '<path d="M78 136 V64 L146 50 V122"/><ellipse cx="66" cy="136" rx="14" ry="10"/>'
        '<ellipse cx="134" cy="122" rx="14" ry="10"/><path d="M78 82 L146 68"/>'
    ),
    "tent": (
        '<path d="M40 146 L100 56 L160 146 Z"/>'
        '<path d="M100 56 V146"/>'
        '<path d="M86 146 L100 112 L114 146"/>'
        '<path d="M30 146 H170"/>'
    ),
    "shoe": (
        '<path d="M40 128 V84 Q58 84 66 96 Q84 110 112 108 Q150 108 160 124 V136 H40 Z"/>'
        '<path d="M40 124 H160"/><path d="M70 98 L78 90 M82 104 L90 96 M94 108 L102 100"/>'
    ),
    "puzzle": (
        '<path d="M54 60 H88 Q86 46 100 46 Q114 46 112 60 H146 V94'
        ' Q160 92 160 106 Q160 120 146 118 V152 H54 Z"/>'
        '<path d="M54 104 Q68 100 68 110 Q68 120 54 116"/>'
    ),
    "lamp": (
        '<path d="M70 56 H130 L146 100 H54 Z"/><path d="M100 100 V140"/><path d="M72 148 H128"/>'
        '<path d="M88 148 Q100 136 112 148"/>'
    ),
    "dumbbell": (
        '<path d="M62 100 H138"/><rect x="40" y="76" width="14" height="48" rx="3"/>'
        '<rect x="54" y="84" width="10" height="32" rx="2"/>'
        '<rect x="146" y="76" width="14" height="48" rx="3"/>'
        '<rect x="136" y="84" width="10" height="32" rx="2"/>'
    ),
    "bottle": (
        '<path d="M88 46 H112 V66 Q130 76 130 96 V146 Q130 154 122 154'
        ' H78 Q70 154 70 146 V96 Q70 76 88 66 Z"/>'
        '<path d="M70 110 H130 M70 130 H130"/>'
    ),
    "paw": (
        '<ellipse cx="100" cy="122" rx="28" ry="22"/><ellipse cx="66" cy="90" rx="11" ry="14"/>'
        '<ellipse cx="88" cy="70" rx="11" ry="14"/><ellipse cx="112" cy="70" rx="11" ry="14"/>'
        '<ellipse cx="134" cy="90" rx="11" ry="14"/>'
    ),
    "box": '<rect x="56" y="64" width="88" height="76" rx="6"/><path d="M56 86 H144 M100 64 V86"/>',
    # -- motifs of some kinds of product, so a category's grid is not one picture repeated
    "bean": '<ellipse cx="100" cy="100" rx="34" ry="48"/><path d="M100 54 Q84 100 100 146"/>',
    "press": (
        '<rect x="70" y="70" width="56" height="80" rx="6"/>'
        '<path d="M66 60 H130 M98 60 V40 M86 40 H110"/>'
        '<path d="M126 84 Q148 84 148 104 Q148 124 126 124"/><path d="M70 96 H126"/>'
    ),
    "disc": (
        '<circle cx="100" cy="100" r="56"/>'
        '<circle cx="100" cy="100" r="16"/>'
        '<path d="M64 80 Q72 66 86 60"/>'
    ),
    "headphones": (
        '<path d="M58 120 V100 Q58 54 100 54 Q142 54 142 100 V120"/>'
        '<rect x="48" y="108" width="22" height="40" rx="8"/>'
        '<rect x="130" y="108" width="22" height="40" rx="8"/>'
    ),
    "knife": '<path d="M46 122 L134 74 Q150 70 142 86 L62 132 Z"/><path d="M62 132 L40 146"/>',
    "bag": (
        '<path d="M62 80 H138 L146 150 H54 Z"/>'
        '<path d="M82 80 V68 Q82 52 100 52 Q118 52 118 68 V80"/>'
        '<path d="M74 104 H126"/>'
    ),
    "pen": (
        '<path d="M58 146 L66 118 L132 52 L148 68 L82 134 Z"/>'
        '<path d="M120 64 L136 80 M66 118 L82 134"/>'
    ),
    "sock": (
        '<path d="M78 46 H118 V112 Q118 122 128 126 L146 134 Q160 142 150 154'
        ' H96 Q78 154 78 132 Z"/>'
        '<path d="M78 62 H118"/>'
    ),
    "ball": (
        '<circle cx="100" cy="100" r="52"/>'
        '<path d="M48 100 Q100 76 152 100 M100 48 Q78 100 100 152"/>'
    ),
    "mat": (
        '<rect x="44" y="70" width="112" height="60" rx="10"/>'
        '<circle cx="150" cy="100" r="18"/>'
        '<path d="M60 90 H130 M60 110 H130"/>'
    ),
    "bowl": (
        '<path d="M46 96 H154 Q150 150 100 150 Q50 150 46 96 Z"/><path d="M70 96 Q100 76 130 96"/>'
    ),
    "pot": (
        '<path d="M64 96 H136 L128 150 H72 Z"/>'
        '<path d="M58 84 H142 V96 H58 Z"/>'
        '<path d="M100 84 Q96 60 78 52 M100 84 Q108 62 126 58"/>'
    ),
}

#: kinds drawn with their own motif (the others use their category's)
KIND_MOTIFS: dict[str, str] = {
    "Espresso beans": "bean",
    "Filter coffee": "bean",
    "French press": "press",
    "Pour-over kit": "press",
    "Green tea": "leaf",
    "Vinyl record": "disc",
    "Turntable": "disc",
    "Headphones": "headphones",
    "Chef's knife": "knife",
    "Backpack": "bag",
    "Gym bag": "bag",
    "Sleeping bag": "bag",
    "Fountain pen": "pen",
    "Notebook": "book",
    "Sports socks": "sock",
    "Kite": "ball",
    "Board game": "box",
    "Yoga mat": "mat",
    "Pet bowl": "bowl",
    "Planter": "pot",
    "Seed kit": "pot",
    "Water bottle": "bottle",
    "Cookbook": "book",
    "Dog treats": "bowl",
    "Cat toy": "ball",
    "Mug": "cup",
    "Kettle": "pot",
    "Headlamp": "lamp",
}


def _hex_to_hls(color: str) -> tuple[float, float, float]:
    color = color.lstrip("#")
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return colorsys.rgb_to_hls(r, g, b)


def _hls_to_hex(h: float, light: float, s: float) -> str:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, min(max(light, 0.0), 1.0), min(max(s, 0.0), 1.0))
    return "#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255))


def product_svg(product_id: int, color: str, motif: str, label: str = "", kind: str = "") -> str:
    """The picture of one product, as an SVG document (``motif``: the
    category's; a ``kind`` with a motif of its own is drawn with that)."""
    digest = hashlib.sha256(str(product_id).encode()).digest()
    h, lightness, s = _hex_to_hls(color)
    h += (digest[0] - 128) / 128 * 0.04  # a shade of the category's colour
    light = _hls_to_hex(h, 0.93 - digest[1] / 255 * 0.04, s * 0.55)
    mid = _hls_to_hex(h, 0.82, s * 0.6)
    ink = _hls_to_hex(h, max(lightness - 0.08, 0.22), min(s + 0.1, 0.9))
    pattern = digest[2] % 3
    tilt = (digest[3] % 21) - 10
    if pattern == 0:
        deco = "".join(
            f'<circle cx="{20 + digest[4 + i] % 160}" cy="{20 + digest[12 + i] % 160}"'
            f' r="{6 + digest[20 + i] % 18}"/>'
            for i in range(6)
        )
    elif pattern == 1:
        deco = "".join(
            f'<rect x="{x}" y="-40" width="14" height="300" transform="rotate(30 100 100)"/>'
            for x in range(-60, 260, 40)
        )
    else:
        deco = '<circle cx="100" cy="100" r="78"/>'
    drawing = MOTIFS.get(KIND_MOTIFS.get(kind, motif), MOTIFS["box"])
    title = f"<title>{escape(label)}</title>" if label else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" role="img">'
        f"{title}"
        f'<rect width="200" height="200" fill="{light}"/>'
        f'<g fill="{mid}" opacity="0.7">{deco}</g>'
        f'<g transform="rotate({tilt} 100 100)" fill="#ffffff" fill-opacity="0.55" stroke="{ink}" '
        f'stroke-width="5" stroke-linecap="round" stroke-linejoin="round">{drawing}</g>'
        "</svg>"
    )
