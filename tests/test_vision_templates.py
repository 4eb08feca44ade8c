"""The recognition templates: shipped as data a fresh drawing reproduces byte for byte, scored all at once."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from pytest_idclassify.emulator._vision._descriptor import Descriptor, describe, distance, distances
from pytest_idclassify.emulator._vision._templates import (
    TEMPLATE_FILE,
    draw_cards,
    drawn_with,
    read_cards,
    template_layouts,
    templates,
    write_cards,
)
from pytest_idclassify.images._specimens import DOCUMENT_TYPES


def _sha256(path: Path) -> str:
    # Digests, not the bytes: pytest's diff of two 1 MB byte strings would take hours to print.
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_shipped_templates_are_what_drawing_them_gives(tmp_path: Path) -> None:
    if drawn_with(TEMPLATE_FILE) != cv2.__version__:
        pytest.skip(f"the shipped templates were drawn by OpenCV {drawn_with(TEMPLATE_FILE)}, this is "
                    f"{cv2.__version__}: its text is set a few pixels apart (see the next test)")  # fmt: skip
    fresh = tmp_path / "templates.npz"
    write_cards(fresh, draw_cards())
    assert _sha256(fresh) == _sha256(TEMPLATE_FILE), (
        "the shipped templates differ from a fresh drawing of the specimens: "
        "run `python -m pytest_idclassify.emulator._vision.draw_templates` and commit the file"
    )


def test_the_shipped_templates_recognise_what_this_opencv_draws() -> None:
    # Under another OpenCV release the specimens' text is set a few pixels apart: each type's fresh
    # card must still be nearest its own shipped template, far nearer than any other.
    layouts = template_layouts()
    for index, (_, card) in enumerate(draw_cards().values()):
        scores = distances(describe(card), layouts)
        nearest, runner_up = np.sort(scores)[:2]
        assert int(np.argmin(scores)) == index and nearest < 0.1 * runner_up, (DOCUMENT_TYPES[index], scores)


def test_the_byte_check_sees_a_one_level_change(tmp_path: Path) -> None:
    drawn = read_cards(TEMPLATE_FILE)
    same, changed = tmp_path / "same.npz", tmp_path / "changed.npz"
    opencv = drawn_with(TEMPLATE_FILE)
    write_cards(same, drawn, opencv=opencv)  # harmless: rewriting what was read gives the same bytes
    aspect, card = drawn["passport"]
    touched = card.copy()
    touched[100, 200, 1] ^= 1
    write_cards(changed, {**drawn, "passport": (aspect, touched)}, opencv=opencv)
    assert _sha256(same) == _sha256(TEMPLATE_FILE)
    assert _sha256(changed) != _sha256(TEMPLATE_FILE)


def test_templates_come_in_the_api_pages_order() -> None:
    assert [template.doc_type for template in templates()] == list(DOCUMENT_TYPES)
    assert template_layouts().shape == (len(DOCUMENT_TYPES), *templates()[0].descriptor.layout.shape)


def test_scoring_all_templates_at_once_agrees_with_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    layouts = template_layouts()
    observed = [template.descriptor for template in templates()]
    for _ in range(40):
        layout = (rng.normal(128, 40, observed[0].layout.shape)).astype(np.float32)
        observed.append(Descriptor(layout, rng.random(layout.shape) > rng.uniform(0.0, 0.97)))
    for descriptor in observed:
        one_by_one = np.array([distance(descriptor, template.descriptor) for template in templates()])
        np.testing.assert_allclose(distances(descriptor, layouts), one_by_one, rtol=1e-5, atol=1e-6)
    # Each template is nearest to itself.
    for index, template in enumerate(templates()):
        assert int(np.argmin(distances(template.descriptor, layouts))) == index


def test_the_first_in_process_request_draws_no_template() -> None:
    # A fresh process, as `idclassify verify` against the embedded emulator starts: no lifespan,
    # no warm-up; the first request must find the templates without drawing a single specimen.
    script = textwrap.dedent(
        """
        import asyncio, base64, cv2, httpx, numpy as np
        from pytest_idclassify.emulator import EmulatorSettings, create_app
        from pytest_idclassify.images._cards import _render

        picture = np.full((400, 640, 3), 40, np.uint8)
        cv2.rectangle(picture, (100, 80), (540, 330), (230, 228, 220), -1)
        data = base64.b64encode(cv2.imencode(".jpg", picture)[1].tobytes()).decode()
        settings = EmulatorSettings()

        async def ask():
            transport = httpx.ASGITransport(app=create_app(settings))
            async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
                path = f"/v2/{settings.project_id}/ocr/auto-id-doc-classification"
                answer = await client.post(path, json={"data": data, "alarm": True},
                                           headers={"X-Auth-Token": settings.tokens[0]})
                return answer.status_code

        print(asyncio.run(ask()), _render._draw.cache_info().misses)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    status, drawn = done.stdout.split()
    assert status == "200"
    assert drawn == "0"
