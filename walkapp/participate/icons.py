"""The app's icons, drawn with Pillow: a map pin over a dotted path (no people, no stereotype).

Run `python -m walkapp.participate.icons` to draw them again into static/pwa/icons/.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BACKGROUND = (91, 42, 134)  # the app's accent purple
FOREGROUND = (255, 255, 255)
PATH = (201, 167, 239)


def draw_icon(size: int, *, maskable: bool = False) -> Image.Image:
    """A square icon; a maskable one keeps its drawing inside the central 80 % safe zone."""
    scale = 4  # draw large, then downscale: smooth edges without anti-aliasing support
    big = size * scale
    image = Image.new("RGB" if maskable else "RGBA", (big, big), BACKGROUND if maskable else 0)
    draw = ImageDraw.Draw(image)
    if not maskable:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BACKGROUND)
    inner = 0.62 if maskable else 0.8  # share of the side the drawing uses

    def at(x: float, y: float) -> tuple[float, float]:
        offset = (1 - inner) / 2
        return ((offset + x * inner) * big, (offset + y * inner) * big)

    # A dotted path from bottom left to bottom right, passing under the pin.
    dot = big * inner * 0.035
    for i in range(9):
        t = i / 8
        x, y = at(0.08 + 0.84 * t, 0.92 - 0.18 * (1 - (2 * t - 1) ** 2))
        draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=PATH)
    # The pin: a circle and a triangle pointing down to the path.
    cx, cy = at(0.5, 0.36)
    radius = big * inner * 0.24
    tip = at(0.5, 0.78)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=FOREGROUND)
    draw.polygon(
        [(cx - radius * 0.82, cy + radius * 0.58), (cx + radius * 0.82, cy + radius * 0.58), tip],
        fill=FOREGROUND,
    )
    hole = radius * 0.42
    draw.ellipse((cx - hole, cy - hole, cx + hole, cy + hole), fill=BACKGROUND)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
    ):
        path = folder / name
        image = draw_icon(size, maskable=maskable)
        # 32 colours are plenty for a flat drawing: a few KB instead of tens.
        palette = image.quantize(
            32, method=Image.Quantize.FASTOCTREE if image.mode == "RGBA" else None
        )
        palette.save(path, optimize=True)
        made.append(path)
    return made


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    from ..resources import resource_dir

    for path in write_icons(resource_dir("static") / "pwa" / "icons"):
        print(path, path.stat().st_size, "bytes")
