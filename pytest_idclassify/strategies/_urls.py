"""A strategy for ``url`` values: loopback images that behave well or badly, and URLs the API must refuse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from hypothesis import strategies as st

from pytest_idclassify.cases._model import ImageSource, UrlImage
from pytest_idclassify.strategies._args import check_kinds

#: Characters of Chinese file names: CJK ideographs a Chinese user names an ID photo with.
CHINESE = "身份证护照图片证件样本测试文件照片扫描"

#: What each URL kind exercises: (clause, refused?).  Kinds backed by a :class:`UrlImage` need the
#: suite's loopback image server; the others are plain strings no one fetches.
URL_KINDS: dict[str, tuple[str, bool]] = {
    "plain": ("request.url.schemes", False),
    "encoded": ("request.url.chinese-encoded", False),
    "redirect": ("request.url.schemes", False),
    "overlong": ("request.url.schemes", False),
    "raw": ("request.url.chinese-raw", True),
    "idn": ("request.url.chinese-raw", True),
    "scheme": ("request.url.schemes", True),
    "unreachable": ("request.url.fetch-failure", True),
    "failing": ("request.url.fetch-failure", True),
    "missing": ("request.url.fetch-failure", True),
    "slow": ("request.url.fetch-slow", True),
    "wrong-type": ("request.url.fetch-failure", True),
}

_BEHAVIOURS = {"unreachable": "unreachable", "failing": "fail", "missing": "missing", "slow": "slow",
               "wrong-type": "wrong-type", "redirect": "redirect"}  # fmt: skip
_SCHEMES = ("ftp://127.0.0.1", "file://", "data:image/png;base64,iVBORw0KGgo=#", "gopher://127.0.0.1",
            "sftp://127.0.0.1", "ws://127.0.0.1")  # fmt: skip
_EXTENSIONS = ("jpg", "png", "bmp", "tiff")

#: Length range of an ``overlong`` path: longer than most URLs, within what common servers accept (8 KB).
OVERLONG = (2048, 6000)


class UrlDraw(NamedTuple):
    """A drawn ``url`` value with the clause it exercises and whether the documentation says it is refused."""

    value: str | UrlImage
    clause: str
    refused: bool
    kind: str


def _ascii_names() -> st.SearchStrategy[str]:
    return st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)


def urls(
    *, kinds: Sequence[str] = tuple(URL_KINDS), images: st.SearchStrategy[ImageSource] | None = None
) -> st.SearchStrategy[UrlDraw]:
    """Return a strategy for ``url`` values of the given kinds, each with the clause it exercises.

    Kinds: ``plain`` (an image on the loopback server), ``encoded`` (a Chinese file name,
    percent-encoded UTF-8), ``raw`` (the same name unencoded), ``idn`` (a raw Chinese host name),
    ``scheme`` (ftp, file, data, gopher, sftp, ws), ``unreachable`` (a closed loopback port),
    ``failing`` (HTTP 500), ``missing`` (404), ``slow`` (answers after the fetch timeout),
    ``wrong-type`` (text/html), ``redirect`` (a 302 to the image) and ``overlong`` (a path of
    2,048 to 6,000 characters, which the API documents no limit against).  Image-backed kinds
    draw a :class:`UrlImage` (the suite's loopback server turns it into a URL); the others draw
    a string.  Examples shrink toward the first kind, the shortest names and the simplest image.

    Raises:
        StrategyArgumentError: ``kinds`` is empty or names an unknown kind.

    """
    chosen = check_kinds("kinds", kinds, URL_KINDS)
    if images is None:
        from pytest_idclassify.strategies._images import image_recipes

        images = image_recipes(max_side=48)
    pictures = images
    chinese = st.text(alphabet=CHINESE, min_size=1, max_size=8)

    @st.composite
    def draw(draw: st.DrawFn) -> UrlDraw:
        kind = draw(st.sampled_from(chosen))
        clause, refused = URL_KINDS[kind]
        ext = draw(st.sampled_from(_EXTENSIONS))
        value: str | UrlImage
        if kind in ("encoded", "raw"):
            value = UrlImage(draw(pictures), f"/{draw(chinese)}.{ext}", raw=kind == "raw")
        elif kind == "idn":
            value = f"http://{draw(chinese)}.{draw(chinese)}/{draw(_ascii_names())}.{ext}"
        elif kind == "scheme":
            value = f"{draw(st.sampled_from(_SCHEMES))}/{draw(_ascii_names())}.{ext}"
        elif kind == "overlong":
            length = draw(st.integers(*OVERLONG))
            value = UrlImage(draw(pictures), "/" + "a" * (length - len(ext) - 2) + "." + ext)
        else:
            path = f"/{draw(_ascii_names())}.{ext}"
            value = UrlImage(draw(pictures), path, behaviour=_BEHAVIOURS.get(kind, "ok"))
        return UrlDraw(value, clause, refused, kind)

    return draw()
