"""The mannequin renderer: a pose file's loop as frames, encoded to MP4 (GIF fallback).

Drawn with Pillow rather than matplotlib: a frame is a few dozen rounded capsules, which Pillow
draws in milliseconds at three times the size and box-downsamples for anti-aliasing (only the
rectangle where something moves is redrawn), so the whole catalogue renders in seconds and the
tests can afford full-size renders; the output is byte-for-byte deterministic. MP4 (H.264,
yuv420p, no audio) is encoded by the ffmpeg binary that imageio-ffmpeg ships; `-bitexact` and
one thread keep the bytes stable between runs.

Kept apart from bot.content.animation (the cache the bot calls) so the running bot loads numpy,
Pillow and the encoder only when it has an animation to build.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bot.content.animation import FPS, SIZE
from bot.content.poses import (
    CHAIR_SEAT_HEIGHT,
    MAT_THICKNESS,
    ROLLER_RADIUS,
    SIDES,
    Capsule,
    Figure,
    Frame,
    PoseFile,
    timeline,
)

_SS = 3  # supersampling factor for anti-aliasing
_MAX_SCALE = 230.0  # pixels per metre at most, so a kneeling figure is not drawn as a giant
_FLOOR_Y = SIZE - 64  # pixel row of the floor
_MARGIN = 36  # pixels kept free left and right
_HEADROOM = 84  # pixels kept free above the highest point (step badge, hold timer)

# One palette for the whole catalogue; light background that still reads in a dark chat theme.
BACKGROUND = (246, 243, 236)
FLOOR = (226, 218, 203)
FLOOR_LINE = (196, 184, 164)
NEAR = (46, 106, 142)
NEAR_EDGE = (30, 74, 101)
FAR = (143, 181, 204)
FAR_EDGE = (110, 150, 175)
HEAD = (60, 126, 166)
ACCENT = (224, 122, 95)
ACCENT_LIGHT = (242, 206, 193)
INK = (52, 58, 64)
PROP = (214, 160, 90)
PROP_EDGE = (170, 120, 62)
BOOKLET = (232, 190, 80)
MAT = (120, 170, 160)

Point = tuple[float, float]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size * _SS)


Layout = tuple[float, float, float]  # pixels per metre, x offset (px), y shift (metres)
Box = tuple[int, int, int, int]  # left, top, right, bottom in output pixels


def frame_px(layout: Layout, p: Point) -> Point:
    """A world point (metres, y up) in output pixels (y down)."""
    scale, x_offset, y_shift = layout
    return (p[0] * scale + x_offset, _FLOOR_Y - (p[1] - y_shift) * scale)


class _Canvas:
    """A supersampled drawing of one rectangle of the frame (the part that moves)."""

    def __init__(self, layout: Layout, image: Image.Image, origin: tuple[int, int]) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.layout = layout
        self.scale = layout[0]
        self.origin = origin

    def at(self, x: float, y: float) -> Point:
        """Output pixel coordinates to this canvas's supersampled ones."""
        return ((x - self.origin[0]) * _SS, (y - self.origin[1]) * _SS)

    def px(self, p: Point) -> Point:
        return self.at(*frame_px(self.layout, p))

    def length(self, metres: float) -> float:
        return metres * self.scale * _SS

    def circle(self, centre: Point, radius_px: float, fill: tuple[int, int, int]) -> None:
        x, y = centre
        r = radius_px
        self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)

    def capsule(self, a: Point, b: Point, radius: float, fill: tuple[int, int, int]) -> None:
        """A rounded limb between two world points; radius in metres."""
        pa, pb = self.px(a), self.px(b)
        r = self.length(radius)
        self.circle(pa, r, fill)
        self.circle(pb, r, fill)
        dx, dy = pb[0] - pa[0], pb[1] - pa[1]
        length = math.hypot(dx, dy)
        if length > 1e-6:
            nx, ny = -dy / length * r, dx / length * r
            self.draw.polygon(
                [(pa[0] + nx, pa[1] + ny), (pb[0] + nx, pb[1] + ny),
                 (pb[0] - nx, pb[1] - ny), (pa[0] - nx, pa[1] - ny)],
                fill=fill,
            )  # fmt: skip


def _layout(pose: PoseFile, frames: Sequence[Frame]) -> Layout:
    """Scale, horizontal offset and vertical shift (metres) that fit the whole loop."""
    xs: list[float] = []
    ys: list[float] = []
    for frame in frames:
        for _, (x, y), r in frame.figure.circles(step=0.2):
            xs += [x - r, x + r]
            ys += [y - r, y + r]
    for prop in pose.props:
        xs += [prop.x - prop.length, prop.x]
    low, high = min(xs), max(xs)
    top = max(ys)
    if pose.view == "top":  # no floor line: centre the figure between badge row and bottom
        scale = min(_MAX_SCALE, (SIZE - 2 * _MARGIN) / (high - low))
        scale = min(scale, (SIZE - _HEADROOM - _MARGIN) / (top - min(ys)))
        bottom_px = (SIZE + _HEADROOM) / 2 + (top - min(ys)) * scale / 2
        return scale, SIZE / 2 - (low + high) / 2 * scale, min(ys) - (_FLOOR_Y - bottom_px) / scale
    scale = min(
        _MAX_SCALE, (SIZE - 2 * _MARGIN) / (high - low), (_FLOOR_Y - _HEADROOM) / max(top, 0.5)
    )
    return scale, SIZE / 2 - (low + high) / 2 * scale, 0.0


def _background(view: str) -> Image.Image:
    """What never moves: the light background and, in side and front views, the floor."""
    image = Image.new("RGB", (SIZE * _SS, SIZE * _SS), BACKGROUND)
    if view != "top":  # seen from above, the whole background is the floor
        draw = ImageDraw.Draw(image)
        floor_px = _FLOOR_Y * _SS
        draw.rectangle((0, floor_px, SIZE * _SS, SIZE * _SS), fill=FLOOR)
        draw.rectangle((0, floor_px - _SS, SIZE * _SS, floor_px + _SS), fill=FLOOR_LINE)
    return image


def _draw_props(canvas: _Canvas, pose: PoseFile, roll: float) -> None:
    draw = canvas.draw
    for prop in pose.props:
        if prop.kind == "mat":  # drawn a little thicker than it is, or it would not show
            a = canvas.px((prop.x - prop.length, 0))
            b = canvas.px((prop.x, 0))
            box = (a[0], a[1] - max(5 * _SS, canvas.length(MAT_THICKNESS)), b[0], b[1] + _SS)
            draw.rounded_rectangle(box, radius=2 * _SS, fill=MAT)
        elif prop.kind == "wall":
            a, b = canvas.px((prop.x, 0)), canvas.at(0, 0)
            draw.rectangle((a[0], b[1], a[0] + 14 * _SS, a[1]), fill=FLOOR_LINE)
        elif prop.kind == "chair":
            seat_a = canvas.px((prop.x - prop.length, CHAIR_SEAT_HEIGHT))
            seat_b = canvas.px((prop.x, CHAIR_SEAT_HEIGHT - 0.04))
            draw.rounded_rectangle((*seat_a, *seat_b), radius=3 * _SS, fill=PROP)
            for x in (prop.x - prop.length + 0.03, prop.x - 0.03):
                top, bottom = canvas.px((x, CHAIR_SEAT_HEIGHT - 0.04)), canvas.px((x, 0))
                draw.line((top, bottom), fill=PROP_EDGE, width=4 * _SS)
        elif prop.kind == "foam_roller":
            centre = canvas.px((prop.x, ROLLER_RADIUS))
            r = canvas.length(ROLLER_RADIUS)
            canvas.circle(centre, r, PROP_EDGE)
            canvas.circle(centre, r - 2 * _SS, PROP)
            for k in range(3):  # stripes that turn as the body rolls over the roller
                angle = roll + k * 2 * math.pi / 3
                end = (centre[0] + math.cos(angle) * r * 0.8, centre[1] + math.sin(angle) * r * 0.8)
                draw.line((centre, end), fill=PROP_EDGE, width=2 * _SS)


_LIMB_SEGMENTS = ("upper_arm", "forearm", "hand")
_LEG_SEGMENTS = ("thigh", "shank", "foot")
_TRUNK_SEGMENTS = ("lower_trunk", "upper_trunk", "neck")


def _chain(
    canvas: _Canvas, caps: Iterable[Capsule], fill: tuple[int, int, int], edge: tuple[int, int, int]
) -> None:
    """A limb drawn as one shape: every outline first, then every fill, so joints look smooth."""
    caps = list(caps)
    for c in caps:
        canvas.capsule(c.a, c.b, c.radius + 1.6 / canvas.scale, edge)
    for c in caps:
        canvas.capsule(c.a, c.b, c.radius, fill)


def _draw_from_above(canvas: _Canvas, fig: Figure) -> None:
    """Top view: arms and trunk flat on the floor; raised legs drawn thicker and on top."""
    caps = fig.capsules
    for side in SIDES:
        _chain(canvas, (caps[f"{side}_{s}"] for s in _LIMB_SEGMENTS), NEAR, NEAR_EDGE)
    _chain(canvas, (caps[s] for s in _TRUNK_SEGMENTS), NEAR, NEAR_EDGE)
    head = caps["head"]
    canvas.capsule(head.a, head.a, head.radius + 1.6 / canvas.scale, NEAR_EDGE)
    canvas.capsule(head.a, head.a, head.radius, HEAD)
    _draw_face(canvas, fig)

    def nearer(c: Capsule) -> Capsule:  # a little perspective: higher is closer, so larger
        return Capsule(c.name, c.a, c.b, c.radius * (1 + 1.0 * (c.za + c.zb) / 2))

    # Fallen to one side, the leg on that side is underneath: draw it first.
    hips, knees = fig.joints, fig.joints
    left = (hips["left_hip"][0] - hips["right_hip"][0], hips["left_hip"][1] - hips["right_hip"][1])
    shift = (knees["left_knee"][0] - hips["left_hip"][0]) * left[0] + (
        knees["left_knee"][1] - hips["left_hip"][1]
    ) * left[1]
    for side in ("left", "right") if shift >= 0 else ("right", "left"):
        _chain(canvas, (nearer(caps[f"{side}_{s}"]) for s in _LEG_SEGMENTS), NEAR, NEAR_EDGE)
        thigh = caps[f"{side}_thigh"]
        lift = max(0.0, thigh.zb - thigh.za)  # a raised knee catches the light: a kneecap
        canvas.circle(canvas.px(thigh.b), canvas.length(thigh.radius * min(1.0, lift * 2.5)), HEAD)


def _draw_figure(canvas: _Canvas, fig: Figure, booklet: bool) -> None:
    if fig.view == "top":
        _draw_from_above(canvas, fig)
        return
    caps = fig.capsules
    front = fig.view == "front"
    # Side view: the right side faces the viewer, so the left limbs are behind the trunk.
    far, near = ("right", "left") if front else ("left", "right")
    far_fill, far_edge = (NEAR, NEAR_EDGE) if front else (FAR, FAR_EDGE)
    if not front:
        _chain(canvas, (caps[f"{far}_{s}"] for s in _LEG_SEGMENTS), far_fill, far_edge)
        _chain(canvas, (caps[f"{far}_{s}"] for s in _LIMB_SEGMENTS), far_fill, far_edge)
    else:
        for side in (far, near):
            _chain(canvas, (caps[f"{side}_{s}"] for s in _LEG_SEGMENTS), NEAR, NEAR_EDGE)
    _chain(canvas, (caps[s] for s in _TRUNK_SEGMENTS), NEAR, NEAR_EDGE)
    if not front:  # the belly: drawn in when the navel is pulled in
        lower = caps["lower_trunk"]
        mid = lower.at(0.55)
        bulge = lower.radius * (0.15 + 0.35 * fig.belly)
        centre = (mid[0] + fig.anterior[0] * bulge, mid[1] + fig.anterior[1] * bulge)
        canvas.capsule(centre, centre, lower.radius * 0.82 + 1.6 / canvas.scale, NEAR_EDGE)
        canvas.capsule(lower.a, lower.b, lower.radius, NEAR)
        canvas.capsule(centre, centre, lower.radius * 0.82, NEAR)
        upper = caps["upper_trunk"]
        canvas.capsule(upper.a, upper.b, upper.radius, NEAR)
    if booklet:
        _draw_booklet(canvas, fig)
    head = caps["head"]
    canvas.capsule(head.a, head.a, head.radius + 1.6 / canvas.scale, NEAR_EDGE)
    canvas.capsule(head.a, head.a, head.radius, HEAD)
    _draw_face(canvas, fig)
    if front:
        for side in (far, near):
            _chain(canvas, (caps[f"{side}_{s}"] for s in _LIMB_SEGMENTS), NEAR, NEAR_EDGE)
    else:
        _chain(canvas, (caps[f"{near}_{s}"] for s in _LEG_SEGMENTS), NEAR, NEAR_EDGE)
        _chain(canvas, (caps[f"{near}_{s}"] for s in _LIMB_SEGMENTS), NEAR, NEAR_EDGE)


def _draw_face(canvas: _Canvas, fig: Figure) -> None:
    head = fig.capsules["head"].a
    up = (math.sin(math.radians(fig.head_dir)), math.cos(math.radians(fig.head_dir)))
    if fig.view in ("front", "top"):
        across = (up[1], -up[0])
        eyes = [
            (head[0] + up[0] * 0.02 + across[0] * k, head[1] + up[1] * 0.02 + across[1] * k)
            for k in (-0.035, 0.035)
        ]
    else:
        fwd = (math.sin(math.radians(fig.head_dir + 90)), math.cos(math.radians(fig.head_dir + 90)))
        eyes = [(head[0] + fwd[0] * 0.06 + up[0] * 0.02, head[1] + fwd[1] * 0.06 + up[1] * 0.02)]
    for eye in eyes:
        canvas.circle(canvas.px(eye), canvas.length(0.018), (255, 255, 255))
        canvas.circle(canvas.px(eye), canvas.length(0.009), INK)


def _draw_booklet(canvas: _Canvas, fig: Figure) -> None:
    """The small object on the lower back (bird dog): a flat book lying on the back's surface."""
    lower = fig.capsules["lower_trunk"]
    up = (-fig.anterior[0], -fig.anterior[1])
    axis = ((lower.b[0] - lower.a[0]) / lower.length, (lower.b[1] - lower.a[1]) / lower.length)
    base = lower.at(0.6)
    corners = []
    for along, out in ((-0.09, 0.0), (0.09, 0.0), (0.09, 0.035), (-0.09, 0.035)):
        d = lower.radius + out
        x = base[0] + axis[0] * along + up[0] * d
        y = base[1] + axis[1] * along + up[1] * d
        corners.append(canvas.px((x, y)))
    canvas.draw.polygon(corners, fill=BOOKLET, outline=PROP_EDGE, width=_SS)


def _step_badge(step: int) -> tuple[Image.Image, Image.Image]:
    """The step this part of the loop shows (as in the caption's numbered steps), and its mask."""
    size = _BADGE_BOX[2] * _SS
    image = Image.new("RGB", (size, size), NEAR)
    mask = Image.new("L", (size, size), 0)
    centre, radius = (40 * _SS, 40 * _SS), 22 * _SS
    ImageDraw.Draw(mask).ellipse(
        (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius), fill=255
    )
    ImageDraw.Draw(image).text(centre, str(step), fill=(255, 255, 255), font=_font(24), anchor="mm")
    return image.reduce(_SS), mask.reduce(_SS)


_BADGE_BOX: Box = (0, 0, 72, 72)
_TIMER_R = 26


def _timer_centre(layout: Layout, fig: Figure) -> Point:
    """Where the hold timer goes: above the figure's highest point, near the head."""
    top = max(y + r for _, (_x, y), r in fig.circles(step=0.2))
    head_x = frame_px(layout, fig.capsules["head"].a)[0]
    return (
        min(max(head_x, 70), SIZE - 70),
        max(frame_px(layout, (0.0, top))[1] - 44, _TIMER_R + 10),
    )


def _draw_timer(canvas: _Canvas, frame: Frame) -> None:
    """The hold timer: a ring that fills while the figure holds still, with the hold time."""
    assert frame.hold_progress is not None
    draw = canvas.draw
    cx, cy = canvas.at(*_timer_centre(canvas.layout, frame.figure))
    r = _TIMER_R * _SS
    box = (cx - r, cy - r, cx + r, cy + r)
    draw.ellipse(box, fill=(255, 255, 255), outline=ACCENT_LIGHT, width=5 * _SS)
    draw.arc(box, -90, -90 + 360 * frame.hold_progress, fill=ACCENT, width=5 * _SS)
    if frame.hold_label:
        number = frame.hold_label.removesuffix(" s").replace("–", "-")
        size = 18 if len(number) <= 2 else 13
        draw.text((cx, cy - 4 * _SS), number, fill=INK, font=_font(size), anchor="mm")
        draw.text((cx, cy + 11 * _SS), "s", fill=INK, font=_font(11), anchor="mm")
    else:  # no time in the article: a pause sign in the ring says "hold"
        for dx in (-5, 5):
            x = cx + dx * _SS
            draw.rounded_rectangle(
                (x - 2.5 * _SS, cy - 9 * _SS, x + 2.5 * _SS, cy + 9 * _SS), radius=_SS, fill=INK
            )


def _arrow_ends(fig: Figure, part: str) -> tuple[Point, Point]:
    """Tail and tip (world) of an arrow from in front of the body towards a part."""
    (x, y), radius = fig.part(part)
    ax, ay = fig.anterior
    tip = (x + ax * (radius + 0.03), y + ay * (radius + 0.03))
    return (x + ax * (radius + 0.2), y + ay * (radius + 0.2)), tip


def _draw_arrow(canvas: _Canvas, fig: Figure, part: str) -> None:
    """A short arrow towards a part of the body: "press here", "draw in here"."""
    tail_w, tip_w = _arrow_ends(fig, part)
    tip, tail = canvas.px(tip_w), canvas.px(tail_w)
    dx, dy = tip[0] - tail[0], tip[1] - tail[1]
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    head = 12 * _SS
    base = (tip[0] - ux * head, tip[1] - uy * head)
    canvas.draw.line((tail, base), fill=ACCENT, width=5 * _SS)
    canvas.draw.polygon(
        [tip, (base[0] - uy * head * 0.7, base[1] + ux * head * 0.7),
         (base[0] + uy * head * 0.7, base[1] - ux * head * 0.7)],
        fill=ACCENT,
    )  # fmt: skip


def _roll(pose: PoseFile, frame: Frame) -> float:
    if not any(p.kind == "foam_roller" for p in pose.props):
        return 0.0
    start = pose.keyframes[0].root[0]
    return (frame.figure.joints["root"][0] - start) / ROLLER_RADIUS


def _moving_box(pose: PoseFile, frames: Sequence[Frame], layout: Layout) -> Box:
    """The rectangle (output pixels) outside of which no frame differs: only it is redrawn."""
    xs: list[float] = []
    ys: list[float] = []

    def add(point: Point, pad: float) -> None:
        xs.extend((point[0] - pad, point[0] + pad))
        ys.extend((point[1] - pad, point[1] + pad))

    for frame in frames:
        fig = frame.figure
        for _, centre, r in fig.circles(step=0.03):
            add(frame_px(layout, centre), r * 1.6 * layout[0] + 4)
        if frame.hold_progress is not None:
            add(_timer_centre(layout, fig), _TIMER_R + 6)
        if frame.arrow is not None:
            for end in _arrow_ends(fig, frame.arrow):
                add(frame_px(layout, end), 16)
    for prop in pose.props:
        add(frame_px(layout, (prop.x, ROLLER_RADIUS)), ROLLER_RADIUS * layout[0] + 6)
        add(frame_px(layout, (prop.x - prop.length, 0)), 8)
        if prop.kind in ("wall", "chair"):
            ys.extend((0, _FLOOR_Y))
            xs.extend((frame_px(layout, (prop.x, 0))[0] + 20,))
    return (
        max(0, math.floor(min(xs))),
        max(0, math.floor(min(ys))),
        min(SIZE, math.ceil(max(xs))),
        min(SIZE, math.ceil(max(ys))),
    )


def render_frames(pose: PoseFile, fps: int = FPS) -> list[np.ndarray]:
    """Every frame of the loop as an RGB array (SIZE x SIZE x 3, uint8).

    Only the rectangle in which something moves is drawn supersampled, then pasted onto the
    still background; that keeps a whole loop at well under a second to render.
    """
    frames = timeline(pose, fps)
    layout = _layout(pose, frames)
    background = _background(pose.view)
    still = background.reduce(_SS)
    left, top, right, bottom = _moving_box(pose, frames, layout)
    blank = background.crop((left * _SS, top * _SS, right * _SS, bottom * _SS))
    badges: dict[int, tuple[Image.Image, Image.Image]] = {}
    images: list[np.ndarray] = []
    for frame in frames:
        canvas = _Canvas(layout, blank.copy(), (left, top))
        _draw_props(canvas, pose, _roll(pose, frame))
        _draw_figure(canvas, frame.figure, pose.booklet)
        if frame.arrow is not None:
            _draw_arrow(canvas, frame.figure, frame.arrow)
        if frame.hold_progress is not None:
            _draw_timer(canvas, frame)
        image = still.copy()
        image.paste(canvas.image.reduce(_SS), (left, top))
        if frame.step not in badges:
            badges[frame.step] = _step_badge(frame.step)
        badge, mask = badges[frame.step]
        image.paste(badge, _BADGE_BOX[:2], mask)
        images.append(np.asarray(image, dtype=np.uint8))
    return images


def write_mp4(frames: Sequence[np.ndarray], path: Path, fps: int = FPS) -> None:
    """H.264 in yuv420p, no audio track, deterministic bytes (one thread, bitexact)."""
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(path),
        (SIZE, SIZE),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        quality=None,
        macro_block_size=16,
        output_params=[
            "-an",
            "-crf", "24",
            "-preset", "medium",
            "-tune", "animation",
            "-threads", "1",
            "-x264-params", "threads=1",
            "-movflags", "+faststart",
            "-map_metadata", "-1",
            "-fflags", "+bitexact",
            "-flags:v", "+bitexact",
            "-f", "mp4",
        ],
    )  # fmt: skip
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()


def write_gif(frames: Sequence[np.ndarray], path: Path, fps: int = FPS) -> None:
    """The fallback: every second frame, one shared palette, so it stays small and stable."""
    images = [Image.fromarray(f) for f in frames[::2]]
    palette = images[len(images) // 2].quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    converted = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    converted[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=converted[1:],
        duration=round(2000 / fps),
        loop=0,
        optimize=False,
        disposal=1,
    )
