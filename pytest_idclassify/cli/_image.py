"""``idclassify image``: write one image of exact size, format, padding and content to a file."""

from __future__ import annotations

import re
from pathlib import Path

import click

from pytest_idclassify.errors import IdClassifyError

_FORMAT_CHOICES = ("bmp", "gif", "jpeg", "jpg", "png", "tif", "tiff", "webp")
#: the sides of a flat or noise image when none is given, and of a specimen's scene.
_FLAT_SIDE, _SPECIMEN_SIZE = 64, (1280, 800)
#: recipe field names (as ImageRecipe's messages write them) and the options that set them.
_OPTION_OF = {
    "doc_type": "--specimen", "base64_variant": "--base64-variant", "pad_base64": "--pad-base64-to",
    "pad_bytes": "--pad-bytes", "exif_orientation": "--exif-orientation", "corruption": "--corrupt",
    "degradations": "--degrade", "format": "--format", "mode": "--mode", "width": "--width",
    "height": "--height", "colour": "--colour", "seed": "--seed", "n": "--pad-bytes",
}  # fmt: skip
_FIELD = re.compile(r"\b(" + "|".join(sorted(_OPTION_OF, key=len, reverse=True)) + r")(=| applies)")
_DEGRADATION = re.compile(r"\bdegradations\['(\w+)'\]=")
_EXTENSIONS = {"jpeg": {".jpg", ".jpeg"}, "jpg": {".jpg", ".jpeg"}, "tif": {".tif", ".tiff"}, "tiff": {".tif", ".tiff"}}


def _in_option_words(message: str) -> str:
    """A recipe's message (``doc_type='pasport' ...``) in this command's words (``--specimen 'pasport' ...``)."""
    message = _DEGRADATION.sub(lambda m: f"--degrade {m.group(1)}=", message).replace(
        " a base64_variant ", " a --base64-variant "
    )
    return _FIELD.sub(lambda m: _OPTION_OF[m.group(1)] + (" " if m.group(2) == "=" else m.group(2)), message)


def _parse_degradations(values: tuple[str, ...]) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for value in values:
        name, sep, severity = value.partition("=")
        if not sep:
            raise click.BadParameter(f"{value!r} is not NAME=SEVERITY, e.g. blur=0.7", param_hint="--degrade")
        try:
            parsed[name.strip()] = float(severity)
        except ValueError:
            raise click.BadParameter(
                f"severity {severity!r} is not a number in [0, 1]", param_hint="--degrade"
            ) from None
    return parsed


def _parse_colour(value: str) -> tuple[int, int, int]:
    text = value.lstrip("#")
    if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise click.BadParameter(f"{value!r} is not a colour; use six hex digits, e.g. 808080", param_hint="--colour")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(_FORMAT_CHOICES, case_sensitive=False), default="png", show_default=True
)
@click.option("--width", type=int, help="Side in pixels [default: 64, or 1280 for a specimen].")
@click.option("--height", type=int, help="Side in pixels [default: 64, or 800 for a specimen].")
@click.option("--colour", "colour", default="808080", show_default=True, help="Flat colour, six hex digits.")
@click.option("--noise", is_flag=True, help="Seeded noise instead of a flat colour.")
@click.option("--specimen", "doc_type", help="Draw a specimen of this document type (e.g. passport).")
@click.option("--degrade", "degradations", multiple=True, help="NAME=SEVERITY for a specimen; repeatable.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the noise or the specimen scene.")
@click.option("--mode", default="rgb", show_default=True, help="Colour mode: rgb, grey, rgba, cmyk, palette, grey16.")
@click.option("--exif-orientation", type=int, help="JPEG only: EXIF orientation 1..8.")
@click.option("--pad-bytes", type=int, help="Grow the file to exactly N bytes.")
@click.option(
    "--pad-base64-to", "pad_base64", type=int, help="Grow the file so its base64 text is exactly N characters."
)
@click.option("--corrupt", "corruption", help="truncated, wrong-magic or corrupt-data.")
@click.option("--base64-variant", default="canonical", show_default=True, help="Spelling of the base64 text.")
@click.option("--base64", "as_base64", is_flag=True, help="Write the base64 text instead of the raw file.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
def image(
    fmt: str,
    width: int | None,
    height: int | None,
    colour: str,
    noise: bool,
    doc_type: str | None,
    degradations: tuple[str, ...],
    seed: int,
    mode: str,
    exif_orientation: int | None,
    pad_bytes: int | None,
    pad_base64: int | None,
    corruption: str | None,
    base64_variant: str,
    as_base64: bool,
    output: Path,
) -> None:
    """Write an image of exact pixel size (and optionally exact byte or base64 size) to OUTPUT.

    Prints the recipe (the same one-line summary tests print) and the file and base64 sizes.
    """
    from pytest_idclassify.images import ImageRecipe, encode_base64

    if noise and doc_type:
        raise click.UsageError("--noise and --specimen are exclusive; pick one content")
    if degradations and not doc_type:
        raise click.UsageError("--degrade applies to a specimen; add --specimen TYPE")
    content = "specimen" if doc_type else "noise" if noise else "flat"
    default_width, default_height = _SPECIMEN_SIZE if doc_type else (_FLAT_SIDE, _FLAT_SIDE)
    width = default_width if width is None else width
    height = default_height if height is None else height
    if not output.parent.is_dir():
        raise click.BadParameter(f"the folder {str(output.parent)!r} does not exist; create it first", param_hint="-o")
    try:
        recipe = ImageRecipe(
            format=fmt,
            width=width,
            height=height,
            content=content,
            colour=_parse_colour(colour),
            seed=seed,
            doc_type=doc_type,
            degradations=tuple(_parse_degradations(degradations).items()),
            mode=mode,
            exif_orientation=exif_orientation,
            pad_bytes=pad_bytes,
            pad_base64=pad_base64,
            corruption=corruption,
            base64_variant=base64_variant,
        )
        data = recipe.render()
        text = encode_base64(data, recipe.base64_variant) if as_base64 or pad_base64 is not None else None
    except IdClassifyError as exc:
        raise click.ClickException(_in_option_words(str(exc))) from None
    try:
        if as_base64:
            assert text is not None
            output.write_text(text, encoding="ascii", newline="")
        else:
            output.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"recipe: {recipe}")
    click.echo(f"file:   {len(data)} bytes")
    if text is not None:
        click.echo(f"base64: {len(text)} characters ({recipe.base64_variant})")
    click.echo(f"wrote {output}")
    suffix = output.suffix.lower()
    expected = _EXTENSIONS.get(recipe.format, {f".{recipe.format}"})
    if not as_base64 and suffix and suffix not in expected:
        # Not refused: a file whose name lies about its format is a test input in its own right.
        click.echo(f"note: {output.name} holds {recipe.format} bytes, whatever its extension says")
