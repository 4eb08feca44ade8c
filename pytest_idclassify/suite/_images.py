"""The request images a target sends: rendered through the shared disk cache, or, in replay, their digests.

A cassette keeps a request image as its digest (see ``docs/explanation/images-by-digest.md``), so
replay needs only the digest to match a recorded request.  The digest of a recipe's image is
noted in the image cache the first time the image is rendered; after that, in any process or
pytest-xdist worker, the replay target sends the digest in place of ``data`` and renders nothing
(what the suite's checks read from the image, its header size, is noted beside it).  The cache
key holds the rendering libraries' versions and the image code, so a change there renders anew.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from pytest_idclassify.cases import ImageSource, UrlImage
from pytest_idclassify.images import ImageRecipe, encode_base64
from pytest_idclassify.images._cache import image_cache, recipe_fields
from pytest_idclassify.images._libraries import rendering_libraries

#: the name under which the digest of a recipe's image (and its header size) is noted in the cache.
DIGEST_FACT = "request-digest"


# Two suffice: a relation sends one image in consecutive calls, and boundary images weigh ~14 MB each.
@lru_cache(maxsize=2)
def recipe_base64(recipe: ImageRecipe) -> str:
    """Return ``recipe.to_base64()``, the image's bytes coming from the disk cache when kept there."""
    return encode_base64(image_cache().render(recipe), recipe.base64_variant)


def rendered(image: ImageSource) -> bytes:
    """Return ``image.render()``, through the disk cache for the toolkit's own recipes."""
    return image_cache().render(image) if isinstance(image, ImageRecipe) else image.render()


@lru_cache(maxsize=512)
def _facts(recipe: ImageRecipe) -> tuple[dict[str, Any], tuple[int, int] | None]:
    noted = image_cache().noted(recipe, DIGEST_FACT)
    if not (isinstance(noted, dict) and isinstance(noted.get("digest"), dict)):
        from pytest_idclassify.cassettes._digest import image_digest
        from pytest_idclassify.validation import request_image_size

        text = recipe_base64(recipe)
        digest = {k: v for k, v in image_digest(text).items() if k not in ("recipe", "rendered_with")}
        noted = {"digest": digest, "size": request_image_size({"data": text})}
        image_cache().note(recipe, DIGEST_FACT, noted)
    size = noted.get("size")
    # In one key order whether computed now or read back from the cache: a report diffs cleanly run to run.
    return dict(sorted(noted["digest"].items())), (int(size[0]), int(size[1])) if size else None


def replay_data(recipe: ImageRecipe) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """Return what the replay target sends as ``data`` for ``recipe`` (its digest) and the image's header size.

    The digest is the one a cassette stores for the rendered image, plus the recipe and library
    versions a miss message compares; the size is what ``request_image_size`` reads from the
    rendered image's base64 (``None`` when it reads none).
    """
    digest, size = _facts(recipe)
    return {**digest, "recipe": str(recipe), "rendered_with": rendering_libraries()}, size


@lru_cache(maxsize=512)
def url_digest(image: UrlImage) -> str:
    """The digest a URL case's path holds: of the image and how the server behaves for it.

    Distinct images (and one image served two ways) get distinct paths.  A recipe's image is named
    by the recipe's fields, not its bytes: the URL a cassette recorded stays the URL a replay sends
    when a new OpenCV or Pillow draws the same recipe with other pixels, and naming it renders nothing.
    """
    source = image.image
    if isinstance(source, ImageRecipe):
        spec = json.dumps(recipe_fields(source), sort_keys=True)
        content = b"recipe " + spec.encode("utf-8")
    else:
        content = rendered(source) if source is not None else b""
    return hashlib.sha256(content + image.behaviour.encode()).hexdigest()[:12]
