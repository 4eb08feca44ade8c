"""``idclassify specimens``: write synthetic specimens of the nine document types with their labels.

The folder it writes is in the format ``--idclassify-metrics`` reads (images plus ``labels.json``),
so the same files serve manual testing and recognition metrics.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="folder to write into (created if missing)",
)
@click.option("--format", "fmt", type=click.Choice(["jpeg", "png", "bmp", "tiff"]), default="jpeg", show_default=True)
@click.option("--width", type=click.IntRange(128, 8192), default=1280, show_default=True)
@click.option("--height", type=click.IntRange(128, 8192), default=800, show_default=True)
@click.option("--per-type", type=click.IntRange(1, 100), default=1, show_default=True, help="seeds per document type")
@click.option("--degrade", "degradations", multiple=True, metavar="NAME=SEVERITY",
              help="apply a degradation to every image, e.g. --degrade blur=0.6 (repeatable)")  # fmt: skip
def specimens(output: Path, fmt: str, width: int, height: int, per_type: int, degradations: tuple[str, ...]) -> None:
    """Write one image per document type and seed, and labels.json with each type, corners and alarms."""
    from pytest_idclassify.errors import ImageSpecError
    from pytest_idclassify.images import DOCUMENT_TYPES, ImageRecipe, render_scene
    from pytest_idclassify.suite._metrics import DEGRADATION_ALARMS

    parsed: dict[str, float] = {}
    for item in degradations:
        name, _, value = item.partition("=")
        try:
            parsed[name] = float(value)
        except ValueError:
            raise click.BadParameter(
                f"{item!r}: expected NAME=SEVERITY, e.g. blur=0.6", param_hint="--degrade"
            ) from None
    output.mkdir(parents=True, exist_ok=True)
    entries = []
    try:
        for doc_type in DOCUMENT_TYPES:
            for seed in range(per_type):
                recipe = ImageRecipe(format=fmt, width=width, height=height, content="specimen", doc_type=doc_type,
                                     seed=seed, degradations=tuple(parsed.items()))  # fmt: skip
                name = f"{doc_type}-{seed}.{'jpg' if fmt == 'jpeg' else fmt}"
                (output / name).write_bytes(recipe.render())
                scene = render_scene(doc_type, width=width, height=height, seed=seed, degradations=parsed)
                entry: dict[str, object] = {"file": name, "type": doc_type, "recipe": str(recipe),
                                            "alarms": {a: n in parsed and parsed[n] >= 0.5
                                                       for n, a in DEGRADATION_ALARMS.items()}}  # fmt: skip
                if "cut_border" not in parsed:
                    entry["location"] = [[int(x), int(y)] for x, y in scene.quad]
                entries.append(entry)
    except ImageSpecError as exc:
        raise click.UsageError(str(exc)) from None
    (output / "labels.json").write_text(json.dumps({"images": entries}, indent=2) + "\n", encoding="utf-8")
    click.echo(f"wrote {len(entries)} specimens and labels.json to {output}")
