"""Generated images: one per seed, grids, interpolations, zips. Deterministic bytes with strong ETags.

Every image goes through the model's micro-batcher (app.batching), so concurrent requests share
generator calls; a seed's pixels are the same whatever else is in its batch (models.loading).
"""
from __future__ import annotations

import math
import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.deps import GeneratorsDep, ReadableModelDep, RendererDep, SettingsDep
from app.errors import ApiError, not_found, short_echo
from app.etags import composite_etag, etag_matches, image_etag
from app.generation import GeneratorCache, LoadedModel
from app.rendering import Renderer, grid_key, interpolation_key
from app.schemas import ImageBatchRequest, error_responses
from app.security.access import PrincipalDep
from app.security.principal import Principal
from app.security.rate_limits import Action
from app.settings import Settings
from models.errors import ModelNotFoundError
from models.latents import MAX_SEED

router = APIRouter(prefix="/models/{model_id}", tags=["images"], responses=error_responses(429))  # uncached images

SEED_RE = re.compile(rf"[0-9]{{1,{len(str(MAX_SEED - 1))}}}")  # digits of a seed; parse_seed checks the bound
# A URL's bytes change only with the model's weights. private: sent to one key (or link), so shared
# caches must not hand it to others.
CACHE_FOREVER = "private, max-age=31536000, immutable"
_PNG = {200: {"content": {"image/png": {}}}, 304: {"description": "Not modified"}}

# Seeds in paths and queries are parsed by parse_seed (for its error message) but documented as what they are.
SEED_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_SEED - 1}
SeedPath = Annotated[str, Path(description="The latent seed, 0 <= seed < 2**32.", json_schema_extra=SEED_SCHEMA)]

Truncation = Annotated[
    float,
    Query(ge=0.0, le=1.0, description="psi: 1 leaves latents as they are, 0 gives the average image."),
]


def parse_seed(text: str, name: str = "seed") -> int:
    if not SEED_RE.fullmatch(text) or int(text) >= MAX_SEED:
        message = f"The {name} must be an integer from 0 to {MAX_SEED - 1}, got {short_echo(text)!r}."
        raise ApiError(422, "invalid_seed", message)
    return int(text)


def check_count(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise ApiError(422, "too_many_images", f"At most {limit} {what} per request, got {count}.", {"max": limit})


async def get_model(generators: GeneratorCache, model_id: str) -> LoadedModel:
    try:
        return await generators.get(model_id)
    except ModelNotFoundError as exc:
        raise not_found("model", model_id) from exc


def charge_images(request: Request, principal: Principal, count: int) -> None:
    """Count images the generator must make against the key's RATE_LIMIT_IMAGES (cached ones are free)."""
    request.app.state.rate_limits.hit(principal, Action.IMAGE, count)


def cached_response(request: Request, etag: str) -> tuple[dict[str, str], Response | None]:
    """Headers for a cacheable image, and the 304 to send instead when the client has it."""
    headers = {"ETag": etag, "Cache-Control": CACHE_FOREVER}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return headers, Response(status_code=304, headers=headers)
    return headers, None


@router.get("/images/{seed}.png", response_class=Response, responses=_PNG)
async def get_image(
    model_id: ReadableModelDep, seed: SeedPath, request: Request, generators: GeneratorsDep, renderer: RendererDep,
    principal: PrincipalDep, truncation: Truncation = 1.0,
) -> Response:
    """The image the model makes from latent seed `seed`; identical bytes on every call."""
    seed_value = parse_seed(seed)
    model = await get_model(generators, model_id)
    headers, not_modified = cached_response(request, image_etag(model.fingerprint, seed_value, truncation))
    if not_modified is not None:
        return not_modified
    if not renderer.has_image(model, seed_value, truncation):
        charge_images(request, principal, 1)
    png = await renderer.image_png(model, seed_value, truncation)
    return Response(png, media_type="image/png", headers=headers)


@router.get("/grid.png", response_class=Response, responses=_PNG)
async def get_grid(
    model_id: ReadableModelDep, request: Request, generators: GeneratorsDep, renderer: RendererDep,
    settings: SettingsDep, principal: PrincipalDep,
    seeds: Annotated[str | None, Query(description="Comma-separated seeds, e.g. 1,2,3.")] = None,
    start: Annotated[int | None, Query(ge=0, lt=MAX_SEED, description="First seed (without `seeds`).")] = None,
    count: Annotated[int, Query(ge=1, description="Seeds start, start+1, ... (without `seeds`).")] = 16,
    columns: Annotated[int | None, Query(ge=1, description="Default: a square-ish grid.")] = None,
    truncation: Truncation = 1.0,
) -> Response:
    """Images of several seeds tiled on a white background, 2 px apart."""
    if seeds is not None:
        if start is not None:
            raise ApiError(422, "invalid_grid", "Give either `seeds` or `start` and `count`, not both.")
        items = [item.strip() for item in seeds.split(",") if item.strip()]
        check_count(len(items), settings.max_grid_images, "grid images")
        seed_list = [parse_seed(item) for item in items]
        if not seed_list:
            raise ApiError(422, "invalid_seed", "`seeds` names no seed.")
    else:
        check_count(count, settings.max_grid_images, "grid images")
        first = start or 0
        if first + count > MAX_SEED:
            raise ApiError(422, "invalid_seed", f"Seeds run past {MAX_SEED - 1}.")
        seed_list = list(range(first, first + count))
    columns = min(columns, len(seed_list)) if columns else math.ceil(math.sqrt(len(seed_list)))
    model = await get_model(generators, model_id)
    etag = composite_etag("grid", model.fingerprint, seed_list, columns, truncation)
    headers, not_modified = cached_response(request, etag)
    if not_modified is not None:
        return not_modified
    if not renderer.has(grid_key(model, seed_list, columns, truncation)):
        charge_images(request, principal, sum(not renderer.has_image(model, s, truncation) for s in seed_list))
    png = await renderer.grid_png(model, seed_list, columns, truncation)
    return Response(png, media_type="image/png", headers=headers)


async def _interpolation(
    request: Request, generators: GeneratorCache, renderer: Renderer, settings: Settings, principal: Principal,
    model_id: str, from_seed: str, to_seed: str, steps: int, truncation: float, gif_ms: int | None,
) -> Response:
    start, end = parse_seed(from_seed, "`from` seed"), parse_seed(to_seed, "`to` seed")
    if steps > settings.max_interpolation_steps:
        message = f"At most {settings.max_interpolation_steps} steps, got {steps}."
        raise ApiError(422, "too_many_steps", message, {"max": settings.max_interpolation_steps})
    model = await get_model(generators, model_id)
    media_type = "image/png" if gif_ms is None else "image/gif"
    etag = composite_etag("interpolation", model.fingerprint, start, end, steps, truncation, gif_ms)
    headers, not_modified = cached_response(request, etag)
    if not_modified is not None:
        return not_modified
    if not renderer.has(interpolation_key(model, start, end, steps, truncation, gif_ms)):
        charge_images(request, principal, steps)
    data = await renderer.interpolation(model, start, end, steps, truncation, gif_ms)
    return Response(data, media_type=media_type, headers=headers)


FromSeed = Annotated[str, Query(alias="from", description="Seed of the first frame.", json_schema_extra=SEED_SCHEMA)]
ToSeed = Annotated[str, Query(alias="to", description="Seed of the last frame.", json_schema_extra=SEED_SCHEMA)]
Steps = Annotated[int, Query(ge=2, description="Frames, both ends included.")]


@router.get("/interpolate.png", response_class=Response, responses=_PNG)
async def get_interpolation_strip(
    model_id: ReadableModelDep, request: Request, generators: GeneratorsDep, renderer: RendererDep,
    settings: SettingsDep, principal: PrincipalDep,
    from_seed: FromSeed, to_seed: ToSeed, steps: Steps = 8, truncation: Truncation = 1.0,
) -> Response:
    """One row of `steps` images along the great circle between two seeds' latents (slerp)."""
    return await _interpolation(request, generators, renderer, settings, principal, model_id, from_seed, to_seed, steps,
                                truncation, None)


@router.get("/interpolate.gif", response_class=Response,
            responses={200: {"content": {"image/gif": {}}}, 304: {"description": "Not modified"}})
async def get_interpolation_gif(
    model_id: ReadableModelDep, request: Request, generators: GeneratorsDep, renderer: RendererDep,
    settings: SettingsDep, principal: PrincipalDep,
    from_seed: FromSeed, to_seed: ToSeed, steps: Steps = 8, truncation: Truncation = 1.0,
    frame_ms: Annotated[int, Query(ge=20, le=10_000, description="Time each frame is shown.")] = 100,
) -> Response:
    """The frames of interpolate.png as a looping animated GIF."""
    return await _interpolation(request, generators, renderer, settings, principal, model_id, from_seed, to_seed, steps,
                                truncation, frame_ms)


@router.post("/images", response_class=Response, responses={200: {"content": {"application/zip": {}}}})
async def post_images(
    model_id: ReadableModelDep, body: ImageBatchRequest, request: Request, generators: GeneratorsDep,
    renderer: RendererDep, settings: SettingsDep, principal: PrincipalDep,
) -> Response:
    """A zip of seedNNNN.png, one per distinct seed, each the bytes GET .../images/{seed}.png returns."""
    seeds = list(dict.fromkeys(body.seeds))  # distinct, in the order given
    check_count(len(seeds), settings.max_zip_images, "images")
    model = await get_model(generators, model_id)
    charge_images(request, principal, sum(not renderer.has_image(model, seed, body.truncation) for seed in seeds))
    data = await renderer.zip_of_pngs(model, seeds, body.truncation)
    disposition = f'attachment; filename="{model_id}-images.zip"'
    return Response(data, media_type="application/zip", headers={"Content-Disposition": disposition})
