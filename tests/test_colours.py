"""Colours that survive colour-vision deficiency, and labels that can be read on their fills.

How a difference is measured. Each colour is run through colorspacious' simulation of
deuteranopia, protanopia and tritanopia (Machado, Oliveira and Fernandes 2009, at severity 100,
which is full dichromacy; colorspacious calls them deuteranomaly, protanomaly and tritanomaly),
clipped to sRGB, and two colours are compared by their CAM02-UCS distance (``deltaE``). Normal
vision is checked too. A CAM02-UCS unit is about a CIELAB unit: 1 is a just-noticeable difference
between two large patches side by side.

Thresholds, and why:

- ``CATEGORICAL_MIN = 20`` for every pair of a categorical palette (tiers, statuses, segments,
  findings, ...). Chart marks are small and are matched to a legend across the chart, which takes
  far more than the side-by-side threshold. Okabe-Ito, the usual colour-blind-safe set, keeps its
  closest pair (orange against reddish purple under tritanopia) only about 11 apart in this
  simulation; every palette here of 2 to 6 colours keeps 20, nearly twice that.
- ``VERTICALS_MIN = 15`` for the 12 vertical colours. Twelve colours cannot all stay 20 apart
  under every deficiency while staying readable on white (the best set found was about 16), so
  where colour alone tells verticals apart (the stacked say-against-do bars) each colour also has
  a fill pattern, and two colours share a pattern only when they are ``SHARED_PATTERN_MIN = 40``
  apart.
- The attainment scale: any colour on the miss side against any colour on the hit side at least
  ``SIDES_MIN = 40`` apart (a miss can never look like a hit, anywhere on the ramps); at the break
  the two sides also differ in lightness (``BREAK_LIGHTNESS_MIN = 8`` J' units) and in hue (at
  least 90 degrees apart); "no target" and "in progress" greys at least ``GREY_MIN = 20`` from
  every colour of the scale and from each other.
- ``WHITE_MIN = 15``: tier, status, segment and vertical colours, drawn as small marks straight
  on the white plot, stay that far from white.

Contrast: WCAG 2 ratios, computed here from the formula (not with the code under test): 4.5:1 for
every label that a builder writes on a fill, 3:1 for the dot that marks a missed cell (a
graphical object, WCAG 1.4.11).

The palettes are discovered, not listed: every module-level dict, tuple or list of colours in
``channel.charts`` and its modules is a palette. Colour literals must sit in module-level
constants (so a colour written inline in a builder fails here), and a lone colour constant must
belong to a palette or be named below as a neutral or part of the attainment scale.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import math
import pkgutil
import re
from collections.abc import Iterator

import numpy as np
import polars as pl
import pytest
from colorspacious import cspace_convert, deltaE

import channel.charts
from channel.charts import alignment as alignment_charts
from channel.charts import missed as missed_charts
from channel.charts import tiers as tier_charts

CVDS = ("deuteranomaly", "protanomaly", "tritanomaly")
VISIONS = (None, *CVDS)
CATEGORICAL_MIN = 20.0
VERTICALS_MIN = 15.0
SHARED_PATTERN_MIN = 40.0
SIDES_MIN = 40.0
BREAK_LIGHTNESS_MIN = 8.0
GREY_MIN = 20.0
WHITE_MIN = 15.0
TEXT_MIN, MARK_MIN = 4.5, 3.0

# palettes held to their own rules instead of the categorical threshold
OWN_RULES = {
    "channel.charts.alignment.PALETTE": "12 verticals: VERTICALS_MIN, plus fill patterns",
    "channel.charts.alignment.SHARE_SCALE": "a sequential scale: lightness falls at every step",
}
# lone colour constants that are no category, so no palette needs them
SINGLES = {
    "channel.charts.MISS_DEEP": "the attainment scale (its own test)",
    "channel.charts.MISS_NEAR": "the attainment scale (its own test)",
    "channel.charts.HIT_NEAR": "the attainment scale (its own test)",
    "channel.charts.HIT_DEEP": "the attainment scale (its own test)",
    "channel.charts.NO_TARGET_COLOR": "the attainment scale's neutral (its own test)",
    "channel.charts.IN_PROGRESS_COLOR": "the attainment scale's neutral (its own test)",
    "channel.charts.INK_DARK": "text ink, chosen per fill by contrast",
    "channel.charts.INK_LIGHT": "text ink, chosen per fill by contrast",
    "channel.charts.MUTED_TEXT": "grey notes and reference lines on white (contrast tested)",
    "channel.charts.GUIDE_COLOR": "dotted guide lines, never data",
    "channel.charts.tiers.LABEL_BACKDROP": "the white box behind quadrant labels",
    "channel.charts.alignment.OTHER_COLOR": "fallback for an unknown vertical",
    "channel.charts.alignment.FOCUS_COLOR": "outline of the open diamond marks (shape, not hue)",
    "channel.charts.alignment.REVENUE_COLOR": "the filled black dots (shape, not hue)",
    "channel.charts.portfolio.BENCHMARK_COLOR": "the black benchmark diamond over the bars",
}

HEX = re.compile(r"#[0-9A-Fa-f]{6}")
COLOUR = re.compile(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}|rgba?\(\s*\d+\s*,\s*\d+\s*,\s*\d+[^)]*\)")
SEARCH = re.compile(r"#[0-9A-Fa-f]{6}\b|#[0-9A-Fa-f]{3}\b|rgba?\(\s*\d")


# ---------------------------------------------------------------------------------------------
# Helpers: colours, simulation, contrast (independent of channel.charts)


def rgb01(colour: str) -> np.ndarray:
    """sRGB in 0..1; an rgba() colour is composited over the white page."""
    if colour.startswith("#"):
        return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    r, g, b, *a = (float(v) for v in re.findall(r"[\d.]+", colour))
    alpha = a[0] if a else 1.0
    return np.array([r, g, b]) / 255 * alpha + (1 - alpha)


def seen(colour: str | np.ndarray, cvd: str | None) -> np.ndarray:
    rgb = rgb01(colour) if isinstance(colour, str) else colour
    if cvd is None:
        return rgb
    sim = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
    return np.clip(cspace_convert(rgb, sim, "sRGB1"), 0, 1)


def delta(a, b, cvd: str | None) -> float:
    return float(deltaE(seen(a, cvd), seen(b, cvd), input_space="sRGB1"))


def ucs(colour, cvd: str | None) -> np.ndarray:
    return cspace_convert(seen(colour, cvd), "sRGB1", "CAM02-UCS")


def luminance(colour: str) -> float:
    c = rgb01(colour)
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ramp(start: str, end: str, steps: int = 11) -> list[np.ndarray]:
    a, b = rgb01(start), rgb01(end)
    return [a + (b - a) * t for t in np.linspace(0, 1, steps)]


def at(scale: list[list], position: float) -> str:
    """A Plotly colour scale at ``position``, interpolated in sRGB."""
    for (p0, c0), (p1, c1) in itertools.pairwise(scale):
        if position <= p1:
            t = 0.0 if p1 == p0 else (position - p0) / (p1 - p0)
            mixed = rgb01(c0) + (rgb01(c1) - rgb01(c0)) * t
            return "#" + "".join(f"{round(v * 255):02X}" for v in mixed)
    return scale[-1][1]


# ---------------------------------------------------------------------------------------------
# Discovery


def chart_modules() -> list:
    names = ["channel.charts"] + [
        f"channel.charts.{m.name}" for m in pkgutil.iter_modules(channel.charts.__path__)
    ]
    return [importlib.import_module(n) for n in names]


def module_assignments(module) -> Iterator[tuple[str, ast.stmt]]:
    """(name, statement) for each module-level assignment in the module's own source."""
    for node in ast.parse(inspect.getsource(module)).body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    yield name.id, node


def is_colour(value: object) -> bool:
    return isinstance(value, str) and COLOUR.fullmatch(value) is not None


def colours_of(value: object) -> list[str] | None:
    """The colours of a palette value (a dict, tuple or list of colours), else None."""
    items = list(value.values()) if isinstance(value, dict) else value
    if isinstance(items, (list, tuple)) and len(items) >= 2 and all(map(is_colour, items)):
        return list(items)
    return None


def discover() -> tuple[dict[str, list[str]], dict[str, str]]:
    """Every palette (qualified name -> colours) and lone colour constant (name -> colour)
    assigned at module level in channel.charts and its modules."""
    palettes, singles = {}, {}
    for module in chart_modules():
        for name, _ in module_assignments(module):
            value = getattr(module, name)
            qualified = f"{module.__name__}.{name}"
            if (colours := colours_of(value)) is not None:
                palettes[qualified] = colours
            elif is_colour(value):
                singles[qualified] = value
    return palettes, singles


PALETTES, LONE = discover()
CATEGORICAL = {k: v for k, v in PALETTES.items() if k not in OWN_RULES}


def test_discovery_finds_the_palettes():
    for name in (
        "channel.charts.TIER_COLORS",
        "channel.charts.STATUS_COLORS",
        "channel.charts.SEGMENT_COLORS",
        "channel.charts.missed.SERIES_COLORS",
        "channel.charts.tiers.FINDING_COLORS",
        "channel.charts.tiers.MOVE_COLORS",
        "channel.charts.partner.PROGRAM_COLORS",
        *OWN_RULES,
    ):
        assert name in PALETTES, name
    assert "channel.charts.alignment.PALETTE" not in CATEGORICAL


def test_colour_literals_live_in_module_level_constants():
    """A colour written inside a builder escapes these tests: name it as a module constant (in a
    palette if it is drawn next to other colours)."""
    inline = []
    for module in chart_modules():
        tree = ast.parse(inspect.getsource(module))
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                continue
            for const in ast.walk(node):
                if isinstance(const, ast.Constant) and isinstance(const.value, str):
                    if SEARCH.search(const.value):
                        inline.append(f"{module.__name__}:{const.lineno} {const.value!r}")
    assert not inline, inline


def test_every_lone_colour_is_in_a_palette_or_a_named_neutral():
    in_palettes = {c.upper() for colours in PALETTES.values() for c in colours}
    loose = {
        name: colour
        for name, colour in LONE.items()
        if colour.upper() not in in_palettes and name not in SINGLES
    }
    assert not loose, f"put these in a palette, or add them to SINGLES with a reason: {loose}"
    assert set(SINGLES) <= set(LONE), set(SINGLES) - set(LONE)  # no stale names


# ---------------------------------------------------------------------------------------------
# Categorical palettes


def closest_pair(colours: list[str], cvd: str | None) -> tuple[float, str, str]:
    return min((delta(a, b, cvd), a, b) for a, b in itertools.combinations(colours, 2))


@pytest.mark.parametrize("cvd", VISIONS, ids=lambda c: c or "normal")
@pytest.mark.parametrize("name", sorted(CATEGORICAL))
def test_categorical_palettes_stay_apart(name, cvd):
    colours = CATEGORICAL[name]
    assert len({c.upper() for c in colours}) == len(colours), "a colour is repeated"
    distance, a, b = closest_pair(colours, cvd)
    assert distance >= CATEGORICAL_MIN, f"{a} and {b}: ΔE {distance:.1f} under {cvd or 'normal'}"


@pytest.mark.parametrize("cvd", VISIONS, ids=lambda c: c or "normal")
@pytest.mark.parametrize(
    "name",
    [
        "channel.charts.TIER_COLORS",
        "channel.charts.STATUS_COLORS",
        "channel.charts.SEGMENT_COLORS",
        "channel.charts.alignment.PALETTE",
    ],
)
def test_marks_stand_out_from_the_white_page(name, cvd):
    """Tiers, statuses, segments and verticals are drawn as small marks straight on the white
    plot, so each also keeps its distance from white."""
    closest = min(delta(c, "#FFFFFF", cvd) for c in PALETTES[name])
    assert closest >= WHITE_MIN, f"ΔE {closest:.1f} from white"


@pytest.mark.parametrize("cvd", VISIONS, ids=lambda c: c or "normal")
def test_vertical_palette_stays_apart_and_patterns_separate_the_closest(cvd):
    distance, a, b = closest_pair(list(alignment_charts.PALETTE), cvd)
    assert distance >= VERTICALS_MIN, f"{a} and {b}: ΔE {distance:.1f}"
    assert len(alignment_charts.VERTICAL_PATTERNS) == len(alignment_charts.PALETTE)
    for i, j in itertools.combinations(range(len(alignment_charts.PALETTE)), 2):
        if alignment_charts.VERTICAL_PATTERNS[i] == alignment_charts.VERTICAL_PATTERNS[j]:
            shared = delta(alignment_charts.PALETTE[i], alignment_charts.PALETTE[j], cvd)
            assert shared >= SHARED_PATTERN_MIN, (
                alignment_charts.PALETTE[i],
                alignment_charts.PALETTE[j],
                shared,
            )


def test_say_do_bars_carry_the_pattern_of_their_vertical():
    colors = alignment_charts.vertical_colors(["Finance", "Healthcare"])
    frame = pl.DataFrame(
        {
            "partner_id": ["P01"],
            "partner_name": ["A"],
            "distance": [0.5],
            "declared_mix": [[{"vertical": "Finance", "share": 1.0}]],
            "deal_mix": [[{"vertical": "Healthcare", "share": 1.0}]],
        }
    )
    fig = alignment_charts.say_do_chart(frame, colors, set())
    for bar, vertical in zip(fig.data, ["Finance", "Healthcare"], strict=True):
        slot = alignment_charts.PALETTE.index(colors[vertical])
        assert bar.marker.pattern.shape == alignment_charts.VERTICAL_PATTERNS[slot]
    assert {b.marker.pattern.shape for b in fig.data} == {"/", ""}  # slots 0 and 1 differ


@pytest.mark.parametrize("cvd", VISIONS, ids=lambda c: c or "normal")
def test_share_scale_gets_darker_at_every_step(cvd):
    lightness = [ucs(c, cvd)[0] for c in alignment_charts.SHARE_SCALE]
    steps = np.diff(lightness)
    assert (steps < -8).all(), lightness


# ---------------------------------------------------------------------------------------------
# The attainment scale


@pytest.mark.parametrize("cvd", VISIONS, ids=lambda c: c or "normal")
def test_attainment_sides_never_meet(cvd):
    miss = ramp(missed_charts.MISS_DEEP, missed_charts.MISS_NEAR)
    hit = ramp(missed_charts.HIT_NEAR, missed_charts.HIT_DEEP)
    closest = min(delta(m, h, cvd) for m in miss for h in hit)
    assert closest >= SIDES_MIN, f"ΔE {closest:.1f}"


@pytest.mark.parametrize("cvd", VISIONS, ids=lambda c: c or "normal")
def test_attainment_break_differs_in_hue_and_lightness(cvd):
    below, above = ucs(missed_charts.MISS_NEAR, cvd), ucs(missed_charts.HIT_NEAR, cvd)
    assert abs(below[0] - above[0]) >= BREAK_LIGHTNESS_MIN, (below[0], above[0])
    hue = [math.degrees(math.atan2(c[2], c[1])) for c in (below, above)]
    assert abs((hue[0] - hue[1] + 180) % 360 - 180) >= 90, hue
    assert min(math.hypot(c[1], c[2]) for c in (below, above)) >= 10  # enough chroma for a hue


@pytest.mark.parametrize("cvd", VISIONS, ids=lambda c: c or "normal")
def test_no_target_and_in_progress_greys_are_neutral_and_apart(cvd):
    scale = ramp(missed_charts.MISS_DEEP, missed_charts.MISS_NEAR) + ramp(
        missed_charts.HIT_NEAR, missed_charts.HIT_DEEP
    )
    greys = (missed_charts.NO_TARGET_COLOR, missed_charts.IN_PROGRESS_COLOR)
    for grey in greys:
        closest = min(delta(grey, c, cvd) for c in scale)
        assert closest >= GREY_MIN, f"{grey}: ΔE {closest:.1f} to the scale"
        assert grey[1:3] == grey[3:5] == grey[5:7], grey  # a true grey: no side can claim it
    assert delta(*greys, cvd) >= GREY_MIN


def test_the_heatmap_draws_with_these_colours():
    scale, _ = missed_charts.attainment_colorscale(1.0)
    assert [c for _, c in scale] == [
        missed_charts.MISS_DEEP,
        missed_charts.MISS_NEAR,
        missed_charts.HIT_NEAR,
        missed_charts.HIT_DEEP,
    ]


# ---------------------------------------------------------------------------------------------
# Contrast of every label the builders write on a fill


def heat_frame() -> pl.DataFrame:
    """Every status, and attainment from 0 to 250%; the last quarter is in progress."""
    statuses = ["replace_review", "at_risk", "watch", "ok"]
    values = [i / 20 for i in range(51)]  # 0.0 .. 2.5
    rows = []
    for order, status in enumerate(statuses, start=1):
        for q, att in enumerate(values):
            in_progress = q == len(values) - 1
            rows.append(
                {
                    "row_order": order,
                    "partner_id": f"P{order}",
                    "partner_name": status,
                    "status": status,
                    "missed_streak": 0,
                    "missed_last_8": 0,
                    "revenue_t4q": 1.0,
                    "fiscal_quarter": f"Q{q:02d}",
                    "quarter_idx": q,
                    "revenue": att * 100,
                    "target_amount": 100.0,
                    "attainment": att,
                    "is_missed": None if in_progress else att < 1.0,
                    "quarter_state": "in_progress" if in_progress else "complete",
                }
            )
    return pl.DataFrame(rows)


def test_heatmap_letters_to_date_text_and_missed_dots_contrast_with_their_fills():
    fig = missed_charts.attainment_heatmap(heat_frame(), miss_below=1.0)
    traces = {t.name: t for t in fig.data}
    square = {
        y: t.marker.color
        for t in fig.data
        if t.type == "scatter" and t.x and t.x[0] == "Status"
        for y in t.y
        if t.name != "Status letters"
    }
    letters = traces["Status letters"]
    assert len(letters.text) == 4
    for y, ink in zip(letters.y, letters.textfont.color, strict=True):
        assert contrast(ink, square[y]) >= TEXT_MIN, (square[y], ink)
    to_date = traces["To date"]
    assert len(to_date.x) == 4
    assert contrast(to_date.textfont.color, missed_charts.IN_PROGRESS_COLOR) >= TEXT_MIN
    cells, dots = traces["Attainment"], traces["Missed"]
    column = {q: i for i, q in enumerate(cells.x)}
    row = {y: i for i, y in enumerate(cells.y)}
    assert len(dots.x) == 4 * 20  # 0% .. 95% missed, in every row
    for q, y, ink in zip(dots.x, dots.y, dots.marker.color, strict=True):
        fill = at(cells.colorscale, cells.z[row[y]][column[q]] / cells.zmax)
        assert contrast(ink, fill) >= MARK_MIN, (fill, ink)


def test_tier_structure_labels_contrast_with_their_tier():
    frame = pl.DataFrame(
        {
            "segment": ["SMB"] * 4,
            "earned_tier": list(channel.charts.TIERS),
            "partners": [1, 1, 1, 1],
            "revenue_t4q": [1.0, 1.0, 1.0, 1.0],
        }
    )
    fig = tier_charts.tier_structure(frame)
    assert len(fig.data) == 8
    for bar in fig.data:
        assert any(bar.text)
        assert contrast(bar.textfont.color, bar.marker.color) >= TEXT_MIN, bar.name


def test_tier_matrix_counts_contrast_with_every_finding():
    heat = tier_charts.tier_matrix(
        pl.DataFrame(
            {
                "program_tier": ["Gold", "Gold", "Gold"],
                "earned_tier": ["Platinum", "Gold", "Silver"],
                "tier_gap": [-1, 0, 1],
                "partners": [1, 2, 3],
                "revenue_t4q": [1.0, 2.0, 3.0],
            }
        )
    ).data[0]
    for fill in tier_charts.FINDING_COLORS.values():
        assert contrast(heat.textfont.color, fill) >= TEXT_MIN, fill


def test_segment_vertical_labels_contrast_with_their_cell():
    shares = [0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0]
    verticals = [f"V{i}" for i in range(len(shares))]
    frame = pl.DataFrame(
        {
            "segment": ["SMB"] * len(shares),
            "vertical": verticals,
            "revenue_t4q": [s * 100 for s in shares],
            "revenue_share": shares,
            "focus_partners": shares,
            "focus_share": shares,
            "is_priority": [False] * len(shares),
        }
    )
    fig = alignment_charts.segment_vertical_heatmap(
        frame, verticals, set(), alignment_charts.vertical_colors(verticals)
    )
    heat, labels = fig.data
    assert len(labels.text) == len(shares)
    for i, ink in enumerate(labels.textfont.color):
        fill = at(heat.colorscale, heat.z[0][i] / heat.zmax)
        assert contrast(ink, fill) >= TEXT_MIN, (fill, ink)


@pytest.mark.parametrize(
    "name",
    [
        "channel.charts.MUTED_TEXT",
        "channel.charts.INK_DARK",
        *(f"channel.charts.alignment.VERDICT_COLORS[{k}]" for k in alignment_charts.VERDICT_COLORS),
    ],
)
def test_note_colours_read_on_white(name):
    if "[" in name:
        colour = alignment_charts.VERDICT_COLORS[name.split("[")[1].rstrip("]")]
    else:
        colour = LONE[name]
    assert contrast(colour, "#FFFFFF") >= TEXT_MIN, colour


def test_ink_on_picks_the_better_ink():
    for fill in [c for colours in CATEGORICAL.values() for c in colours if c.startswith("#")]:
        ink = channel.charts.ink_on(fill)
        other = (
            channel.charts.INK_LIGHT if ink == channel.charts.INK_DARK else channel.charts.INK_DARK
        )
        assert contrast(ink, fill) >= contrast(other, fill), fill
