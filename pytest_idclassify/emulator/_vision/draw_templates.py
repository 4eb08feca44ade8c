"""Draw the recognition templates from the specimens again and rewrite the shipped file.

Run ``python -m pytest_idclassify.emulator._vision.draw_templates`` after a change to the specimens'
renderer; ``tests/test_vision_templates.py`` fails until the shipped file matches a fresh drawing.
"""

from __future__ import annotations

import sys

from pytest_idclassify.emulator._vision._templates import TEMPLATE_FILE, draw_cards, write_cards


def main() -> int:
    """Rewrite :data:`TEMPLATE_FILE` from a fresh drawing; return the exit status."""
    write_cards(TEMPLATE_FILE, draw_cards())
    print(f"wrote {TEMPLATE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
