"""Build two non-emoji few-shot target sets (issue 9, goal 4 "Generalises") from Debian and npm packages.

    python tools/build_target_sets.py --out var/targets [--sets openclipart vscodeicons] [--jobs N] [--cache DIR]

Writes, per set NAME, `NAME64.zip` (all images), `NAME64_train10.zip`, `NAME64_train100.zip`,
`NAME64_eval.zip`, `NAME64_splits.json`, and one `README.md` for both sets (sources, licences, counts,
procedure). Same format as the shared emoji data (/work/shared/data/emoji/README.md): 64x64 RGB PNGs on
white at the top level of each zip, members stored uncompressed, sorted by name, dated 1980-01-01, so a
rebuild with the same package and library versions gives byte-identical files.

Sets:
- `openclipart64`: colour clip art (objects, animals, people, food, ...) from Debian's `openclipart-svg`
  (public-domain dedication), each drawing cropped to its own extent and fitted into the square.
- `vscodeicons64`: file-type and folder icons from npm `@iconify-json/vscode-icons` (MIT), each icon
  rendered from its viewBox, the way the emoji README renders its iconify sets.

Needs: `apt-get` and `dpkg-deb` (downloads and unpacks the .deb; no root), `npm` (npm pack), and Python
with cairosvg 2.9.1 (plus the system libcairo2), Pillow 13.0.0 and numpy 2.4.6. The project venv has no
cairosvg, so use a separate one:

    python3 -m venv /tmp/dataviz && /tmp/dataviz/bin/pip install cairosvg==2.9.1 pillow==13.0.0 numpy==2.4.6
    nice -n 5 /tmp/dataviz/bin/python tools/build_target_sets.py --out var/targets --jobs 1   # ~10 min

Package versions are pinned and their archives checked against the SHA-256 below. Kept standalone (no
`models` import) so it runs in that small venv without TensorFlow.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 64
SEED = 0
TRAIN_SHOTS = 100
MIN_EVAL = 500
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# A pixel is ink when some channel is darker than white by more than this; "colourful" when its
# channels spread by more than this (grey, black and white have no spread).
INK_DELTA = 24
COLOUR_SPREAD = 48
# Two images closer than this RMS difference (0-255 scale) are one drawing exported twice (the
# openclipart package files some drawings under several categories; anti-aliasing differs slightly).
# Measured on contact sheets: re-exports are below 10, distinct variants (a smiley's other mouth) above 11.
NEAR_DUPLICATE_RMS = 10.0


@dataclass(frozen=True)
class Package:
    registry: str  # "debian" or "npm"
    name: str
    version: str
    sha256: str


CLIPART_PACKAGE = Package("debian", "openclipart-svg", "1:0.18+dfsg-19",
                          "989712d90d57dfa3230049f553bb43b76c30ee4d4b8c5f6e106e33f7db5cbdc5")
VSCODE_PACKAGE = Package("npm", "@iconify-json/vscode-icons", "1.2.97",
                         "fd5676cb1891b527a32502a58e738139e329a0529e36c39dfd09503f2e6faa3c")

CLIPART_ROOT = "usr/share/openclipart/svg"
# Categories of drawn things. Left out: shapes (stars, arrows, flowcharts, jigsaw), special (gradients,
# patterns), geography (map outlines), flags and other signs, logos, UI buttons and desktop icon themes,
# stick men, playing-card faces (216 near-identical cards), pictogram sets, and smilies (they are emoji).
CLIPART_INCLUDE = (
    "animals", "buildings", "computer", "containers", "decorations", "education", "electronics", "food",
    "office", "people", "plants", "recreation", "science", "tools", "transportation", "unsorted",
    "signs_and_symbols/awards", "signs_and_symbols/clocks", "signs_and_symbols/money", "signs_and_symbols/weather",
)
CLIPART_EXCLUDE = (
    "computer/buttons", "computer/connectors", "computer/diagrams", "computer/icons/etiquette-theme",
    "computer/icons/flat-theme", "computer/icons/lemon-theme", "people/smilies", "people/stickmen",
    "recreation/games/cards", "transportation/aiga-symbols", "transportation/roadsigns", "unsorted/duplicates",
)
CLIPART_WORK_PX = 512  # the page's long side when finding the drawing's extent
CLIPART_MIN_DRAWING_PX = 256  # below this the drawing is rendered again, larger (up to 8x), before resizing
CLIPART_MARGIN_PX = 2  # white border around the fitted drawing in the 64 px image
CLIPART_MIN_INK = 0.04  # near-blank below this share of ink pixels
CLIPART_MIN_COLOUR = 0.025  # black-and-white or grey line art below this share of colourful pixels
ICON_MIN_INK = 0.02  # white-on-transparent icons (made for dark themes) vanish on white


# ---------------------------------------------------------------- downloads

def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(package: Package, cache: Path) -> Path:
    """The package archive in `cache` (downloaded once), checked against its pinned SHA-256."""
    cache.mkdir(parents=True, exist_ok=True)
    if package.registry == "debian":
        pattern = f"{package.name}_*.deb"
        command = ["apt-get", "download", f"{package.name}={package.version}"]
    else:
        pattern = f"{package.name.lstrip('@').replace('/', '-')}-{package.version}.tgz"
        command = ["npm", "pack", "--silent", f"{package.name}@{package.version}"]
    found = sorted(cache.glob(pattern))
    if not found:
        subprocess.run(command, cwd=cache, check=True, stdout=subprocess.DEVNULL)
        found = sorted(cache.glob(pattern))
    if len(found) != 1:
        sys.exit(f"build_target_sets: expected one {pattern} in {cache}, found {[p.name for p in found]}")
    digest = sha256_of(found[0])
    if digest != package.sha256:
        sys.exit(f"build_target_sets: {found[0].name} has SHA-256 {digest}, expected {package.sha256} "
                 f"({package.name} {package.version}); the sets would not match their README.")
    return found[0]


def unpack_deb(deb: Path, dest: Path) -> Path:
    if not dest.is_dir():
        partial = dest.with_name(dest.name + ".partial")
        subprocess.run(["dpkg-deb", "-x", str(deb), str(partial)], check=True)
        partial.rename(dest)
    return dest


def read_npm_member(tgz: Path, member: str) -> bytes:
    with tarfile.open(tgz) as archive:
        return archive.extractfile(f"package/{member}").read()


# ---------------------------------------------------------------- rendering

def composite_on_white(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, image).convert("RGB"))


def render_svg(svg: bytes, **size) -> np.ndarray:
    import cairosvg  # imported in the worker processes only

    return composite_on_white(cairosvg.svg2png(bytestring=svg, **size))


_ENTITY = re.compile(rb'<!ENTITY\s+(\S+)\s+"([^"]*)"\s*>')
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", re.S)


def expand_internal_entities(svg: bytes) -> bytes:
    """Inline the DOCTYPE's entities (Illustrator's `&ns_svg;` etc.): cairosvg's safe parser refuses entities,
    and its `unsafe` mode would also let files reach for local paths."""
    entities = dict(_ENTITY.findall(svg))
    svg = _DOCTYPE.sub(b"", svg, count=1)
    for name, value in entities.items():
        svg = svg.replace(b"&" + name + b";", value)
    return svg


def ink_box(rgb: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the pixels that are not white, or None for a blank image."""
    rows, cols = np.nonzero((rgb < 250).any(-1))
    if len(rows) == 0:
        return None
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def render_page(svg: bytes, long_side: float) -> np.ndarray:
    landscape = render_svg(svg, output_width=round(long_side))
    if landscape.shape[0] <= landscape.shape[1]:
        return landscape
    return render_svg(svg, output_height=round(long_side))


def fit_to_square(crop: np.ndarray) -> np.ndarray:
    """Pad to a square with white (plus the margin) and box-filter down to SIZE: keeps the aspect ratio,
    and the box filter has no resampling ringing."""
    height, width = crop.shape[:2]
    side = max(height, width)
    pad = round(side * CLIPART_MARGIN_PX / (SIZE - 2 * CLIPART_MARGIN_PX))
    square = np.full((side + 2 * pad, side + 2 * pad, 3), 255, np.uint8)
    top, left = (square.shape[0] - height) // 2, (square.shape[1] - width) // 2
    square[top : top + height, left : left + width] = crop
    return np.asarray(Image.fromarray(square).resize((SIZE, SIZE), Image.Resampling.BOX))


def render_clipart(svg: bytes) -> np.ndarray | None:
    """The whole drawing, cropped to its non-white extent on the page and fitted into SIZE x SIZE."""
    svg = expand_internal_entities(svg)
    page = render_page(svg, CLIPART_WORK_PX)
    box = ink_box(page)
    if box is None:
        return None
    drawing_side = max(box[1] - box[0], box[3] - box[2])
    if drawing_side < CLIPART_MIN_DRAWING_PX:  # a small drawing on a large page: render it larger
        page = render_page(svg, CLIPART_WORK_PX * min(8.0, CLIPART_WORK_PX / drawing_side))
        box = ink_box(page)
        if box is None:
            return None
    top, bottom, left, right = box
    return fit_to_square(page[top:bottom, left:right])


def iconify_svg(icon: dict, defaults: dict) -> bytes:
    box = [icon.get(key, defaults.get(key, fallback))
           for key, fallback in (("left", 0), ("top", 0), ("width", 16), ("height", 16))]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{SIZE}" height="{SIZE}" viewBox="{" ".join(map(str, box))}">{icon["body"]}</svg>').encode()


def render_task(task: tuple[str, str, bytes]) -> tuple[str, np.ndarray | None, str | None]:
    """(id, image or None, error) for one (id, kind, svg) task; runs in a worker process."""
    item_id, kind, svg = task
    try:
        image = render_clipart(svg) if kind == "clipart" else render_svg(svg)
    except Exception as exc:  # a broken SVG drops that one drawing, with its reason in splits.json
        return item_id, None, f"render_error: {type(exc).__name__}: {str(exc)[:120]}"
    return item_id, image, None


def render_all(tasks: list[tuple[str, str, bytes]], jobs: int) -> list[tuple[str, np.ndarray | None, str | None]]:
    if jobs <= 1:
        return [render_task(task) for task in tasks]
    with multiprocessing.Pool(jobs) as pool:
        return list(pool.imap(render_task, tasks, chunksize=8))


# ---------------------------------------------------------------- candidates

def clipart_tasks(root: Path) -> tuple[list[tuple[str, str, bytes]], dict[str, str]]:
    """Render tasks for the chosen categories, and {id: reason} for the files left out before rendering."""
    tasks, dropped = [], {}
    for path in sorted(root.rglob("*.svg")):
        if path.is_symlink() or not path.is_file():
            continue  # the package links some drawings into several categories
        rel = path.relative_to(root).as_posix()
        item_id = rel.removesuffix(".svg").replace("/", "-")
        svg = path.read_bytes()
        if not _under(rel, CLIPART_INCLUDE) or _under(rel, CLIPART_EXCLUDE):
            continue  # not a drawing category: not listed, there are thousands
        if b"<text" in svg:
            dropped[item_id] = "text_element"  # rendering depends on the machine's fonts; mostly labels
        elif b"<image" in svg:
            dropped[item_id] = "raster_image"  # embedded photos/bitmaps, or links to files on the author's disk
        else:
            tasks.append((item_id, "clipart", svg))
    ids = [task[0] for task in tasks] + list(dropped)
    assert len(set(ids)) == len(ids), "two openclipart paths map to one id"
    return tasks, dropped


def _under(rel: str, folders: tuple[str, ...]) -> bool:
    return any(rel.startswith(folder + "/") for folder in folders)


def vscode_tasks(icon_set: dict) -> tuple[list[tuple[str, str, bytes]], dict[str, str]]:
    """Render tasks for the icons, less hidden (deprecated) names and recoloured or opened variants."""
    icons, tasks, dropped = icon_set["icons"], [], {}
    for name in sorted(icons):
        if icons[name].get("hidden"):
            dropped[name] = "hidden_icon"
        elif "-light-" in name and name.replace("-light-", "-") in icons:
            dropped[name] = "light_theme_variant"
        elif name.endswith("-opened") and name.removesuffix("-opened") in icons:
            dropped[name] = "opened_folder_variant"
        else:
            tasks.append((name, "icon", iconify_svg(icons[name], icon_set)))
    return tasks, dropped


# ---------------------------------------------------------------- selection and splits

def ink_share(image: np.ndarray) -> float:
    return float(((255 - image.astype(np.int16).min(-1)) > INK_DELTA).mean())


def colour_share(image: np.ndarray) -> float:
    spread = image.astype(np.int16).max(-1) - image.astype(np.int16).min(-1)
    return float((spread > COLOUR_SPREAD).mean())


def quality_reason(image: np.ndarray, min_ink: float, min_colour: float) -> str | None:
    if ink_share(image) < min_ink:
        return "blank"
    if colour_share(image) < min_colour:
        return "not_colour"
    return None


def near_duplicates(ids: list[str], images: np.ndarray) -> dict[str, str]:
    """{id: the earlier id (sorted order) it duplicates}: RMS difference under NEAR_DUPLICATE_RMS."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    squared = (flat * flat).sum(1)
    rms = np.sqrt(np.maximum(squared[:, None] + squared[None] - 2 * flat @ flat.T, 0) / flat.shape[1])
    kept, duplicates = [], {}
    for index, item_id in enumerate(ids):
        close = [k for k in kept if rms[index, k] < NEAR_DUPLICATE_RMS]
        if close:
            duplicates[item_id] = ids[close[0]]
        else:
            kept.append(index)
    return duplicates


def splits(ids: list[str]) -> dict[str, list[str]]:
    """Seeded like the emoji splits: sorted ids, default_rng(0) permutation; the first 100 train, the rest eval."""
    ordered = sorted(ids)
    shuffled = [ordered[i] for i in np.random.default_rng(SEED).permutation(len(ordered))]
    train100, evaluation = shuffled[:TRAIN_SHOTS], shuffled[TRAIN_SHOTS:]
    if len(evaluation) < MIN_EVAL:
        sys.exit(f"build_target_sets: only {len(evaluation)} eval images, fewer than {MIN_EVAL}")
    return {"train10": train100[:10], "train100": train100, "eval": evaluation}


# ---------------------------------------------------------------- output

def encode_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    """Stored, sorted, fixed timestamps and attributes: the same members give the same bytes."""
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    partial.replace(path)


def write_text(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


@dataclass
class BuiltSet:
    name: str
    package: Package
    candidates: int
    dropped: dict[str, str]
    split_ids: dict[str, list[str]]
    all_ids: list[str]


def build_set(name: str, package: Package, tasks: list, dropped: dict[str, str], out: Path, jobs: int,
              min_ink: float, min_colour: float) -> BuiltSet:
    candidates = len(tasks) + len(dropped)
    print(f"{name}: rendering {len(tasks)} SVGs with {jobs} process(es)", flush=True)
    images = {}
    for item_id, image, error in render_all(tasks, jobs):
        reason = error or ("blank" if image is None else quality_reason(image, min_ink, min_colour))
        if reason:
            dropped[item_id] = reason
        else:
            images[item_id] = image
    ids = sorted(images)
    for item_id, original in near_duplicates(ids, np.stack([images[i] for i in ids])).items():
        dropped[item_id] = f"duplicate_of:{original}"
        del images[item_id]
    ids = sorted(images)
    split_ids = splits(ids)
    pngs = {f"{item_id}.png": encode_png(images[item_id]) for item_id in ids}
    write_zip(out / f"{name}64.zip", pngs)
    for split, members in split_ids.items():
        write_zip(out / f"{name}64_{split}.zip", {f"{i}.png": pngs[f"{i}.png"] for i in members})
    built = BuiltSet(name, package, candidates, dict(sorted(dropped.items())), split_ids, ids)
    write_text(out / f"{name}64_splits.json", json.dumps({
        **{split: sorted(members) for split, members in split_ids.items()},
        "ids_all": ids, "counts": counts(built), "seed": SEED,
        "procedure": "sort ids_all as strings; perm = numpy.random.default_rng(0).permutation(len(ids_all)); "
                     "in that order the first 100 ids are train100 (its first 10 are train10), the rest eval",
        "source": {"registry": package.registry, "package": package.name, "version": package.version,
                   "sha256": package.sha256},
        "dropped": built.dropped,
    }, indent=1) + "\n")
    print(f"{name}: {json.dumps(counts(built))}", flush=True)
    return built


def counts(built: BuiltSet) -> dict[str, int]:
    reasons: dict[str, int] = {}
    for reason in built.dropped.values():
        key = reason.split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1
    return {"candidates": built.candidates, **{f"dropped_{k}": v for k, v in sorted(reasons.items())},
            "all": len(built.all_ids), **{split: len(ids) for split, ids in built.split_ids.items()}}


def library_versions() -> str:
    import cairocffi
    import cairosvg
    import PIL

    return (f"CairoSVG {cairosvg.__version__} (cairo {cairocffi.cairo_version_string()}), "
            f"Pillow {PIL.__version__}, NumPy {np.__version__}")


def readme(sets: list[BuiltSet]) -> str:
    rows = []
    for built in sets:
        c = counts(built)
        rows.append(f"| `{built.name}64.zip` | {c['all']:,} | train10 {c['train10']}, train100 {c['train100']}, "
                    f"eval {c['eval']:,} | {built.package.name} {built.package.version} ({built.package.registry}) |")
    details = "\n".join(f"- `{b.name}`: {json.dumps(counts(b))}" for b in sets)
    return README.format(table="\n".join(rows), details=details, versions=library_versions(),
                         clip_include=", ".join(CLIPART_INCLUDE), clip_exclude=", ".join(CLIPART_EXCLUDE),
                         clip_sha=CLIPART_PACKAGE.sha256, vs_sha=VSCODE_PACKAGE.sha256,
                         min_ink=CLIPART_MIN_INK, min_colour=CLIPART_MIN_COLOUR, icon_min_ink=ICON_MIN_INK,
                         rms=NEAR_DUPLICATE_RMS, ink_delta=INK_DELTA, spread=COLOUR_SPREAD)


README = """# Non-emoji target sets (64x64) for the "Generalises" check (issue 9, goal 4)

Two few-shot **target** domains that are not emoji, for fine-tuning the emoji base on 100 or 10 images
and comparing it with the base's zero-shot output and with training from scratch. Built by
`tools/build_target_sets.py` (in the transfergen repository); do not edit by hand.

| file | images | splits | source |
|---|---:|---|---|
{table}

Per set: `NAME64.zip` (all), `NAME64_train10.zip`, `NAME64_train100.zip`, `NAME64_eval.zip`,
`NAME64_splits.json` (id lists, counts, seed, dropped ids with their reason).

**Format** (as the shared emoji data): 64x64 RGB PNGs on a white background, `<id>.png` at the top level,
members stored uncompressed, sorted by name, dated 1980-01-01; the split zips hold the same bytes as
`NAME64.zip`. Rebuilding with the same versions gives byte-identical zips. Built with {versions}.

**Splits:** sort the ids as strings, `perm = numpy.random.default_rng(0).permutation(n)`; in that order
the first 100 ids are `train100` (its first 10 are `train10`), all the others are `eval`. Train and eval
share no image, and no two images in a set are pixel-identical or near-identical (RMS difference under
{rms} on the 0-255 scale, see below).

Counts and drop reasons:
{details}

## openclipart64: colour clip art

- **Source:** Debian package `openclipart-svg` 1:0.18+dfsg-19 (bookworm, `apt-get download`; SHA-256
  {clip_sha}), Open Clip Art Library 0.18, SVG drawings in `/usr/share/openclipart/svg/<category>/`.
- **Licence:** public domain. The package's `copyright` file: "creative commons Public Domain Dedication
  ... Copyright-Only Dedication (based on United States law) or Public Domain Certification" - the
  dedicator certifies the work is in the public domain or dedicates all copyright in it to the public
  domain, so it "may be freely reproduced, distributed, transmitted, used, modified, built upon, or
  otherwise exploited by anyone for any purpose". Many file names carry the author's name.
- **Ids:** the path under `svg/` without `.svg`, `/` replaced by `-` (e.g. `animals-mammals-bears-bear_01`).
- **Chosen:** regular files (symlinks skipped) under {clip_include}; excluding {clip_exclude}.
  These categories hold drawings of objects, animals, people, food, vehicles, tools; the others are
  shapes, gradients, patterns, map outlines, flags and signs, UI buttons, icon themes, stick men,
  card faces and smilies (emoji-like).
- **Dropped:** SVGs with a `<text>` element (their rendering depends on installed fonts; mostly labels
  and text art), SVGs with an `<image>` element (embedded photos or bitmaps, or links to files on the
  author's disk), SVGs cairosvg cannot render, near-blank images (under {min_ink} of pixels darker than
  white by more than {ink_delta}), black-and-white or grey drawings (under {min_colour} of pixels whose
  channels spread by more than {spread}), and near-duplicates (the package files some drawings in two
  categories).
- **Rendering:** internal DTD entities inlined (cairosvg's safe parser refuses them); the page rendered
  by CairoSVG with its long side at 512 px and composited on white; cropped to the drawing's non-white
  extent (re-rendered up to 8x larger when that extent is under 256 px); padded with white to a square
  with a 2-px margin at 64 px; box-filtered to 64x64 (no ringing). The whole drawing is kept with its
  aspect ratio; parts drawn outside the SVG's own page stay clipped, as in the package.

## vscodeicons64: file-type and folder icons

- **Source:** npm package `@iconify-json/vscode-icons` 1.2.97 (icon set "VSCode Icons" 13.0.0 by
  Roberto Huertas, https://github.com/vscode-icons/vscode-icons; `npm pack`; SHA-256 {vs_sha}).
- **Licence:** MIT (the package's `license` field and its `info.json`: "MIT",
  https://github.com/vscode-icons/vscode-icons/blob/master/LICENSE). Many icons show the logos of
  languages, tools and companies: those marks belong to their owners.
- **Ids:** the icon names (`file-type-python`, `folder-type-docker`, `default-file`, ...).
- **Dropped:** hidden (deprecated) names, `-light-` variants whose plain icon exists (light-theme
  recolours), `-opened` folder variants whose closed folder exists, aliases (not rendered), blank
  renders (under {icon_min_ink} ink: white-on-transparent icons made for dark themes), and pixel-identical
  or near-identical duplicates.
- **Rendering:** each icon's SVG body in an `<svg width="64" height="64" viewBox="left top width height">`
  (the set's 32x32 box unless the icon has its own), rendered by CairoSVG directly at 64x64 (RGBA) and
  composited on white, the way the emoji README renders its iconify sets. No colour filter.

## Caveats

- **Sorted order groups similar images** (categories; `file-type-*` before `folder-type-*`). Draw random
  subsets with a fixed seed; never take the first N members.
- `vscodeicons64` is about one sixth closed folders (one folder shape with different small badges) and
  holds families of close variants (e.g. Angular's `.ts` icons); `openclipart64` keeps families of close
  variants of one drawing (e.g. houses in several colours) when they differ by more than the threshold.
- Some clip art sits on an opaque background (a coloured rectangle); it is kept as drawn.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/targets"))
    parser.add_argument("--sets", nargs="+", choices=["openclipart", "vscodeicons"],
                        default=["openclipart", "vscodeicons"])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="render processes")
    parser.add_argument("--cache", type=Path, help="keep downloads here (default: a temporary folder)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="target-sets-") as temporary:
        cache = args.cache or Path(temporary)
        built = []
        if "openclipart" in args.sets:
            root = unpack_deb(download(CLIPART_PACKAGE, cache), cache / "openclipart-svg") / CLIPART_ROOT
            tasks, dropped = clipart_tasks(root)
            built.append(build_set("openclipart", CLIPART_PACKAGE, tasks, dropped, args.out, args.jobs,
                                   CLIPART_MIN_INK, CLIPART_MIN_COLOUR))
        if "vscodeicons" in args.sets:
            icon_set = json.loads(read_npm_member(download(VSCODE_PACKAGE, cache), "icons.json"))
            tasks, dropped = vscode_tasks(icon_set)
            built.append(build_set("vscodeicons", VSCODE_PACKAGE, tasks, dropped, args.out, args.jobs,
                                   ICON_MIN_INK, 0.0))
    if len(built) == 2:  # the README describes both sets; a partial rebuild leaves it as it was
        write_text(args.out / "README.md", readme(built))


if __name__ == "__main__":
    main()
