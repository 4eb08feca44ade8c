"""The specimen vocabulary's names, importable without numpy or OpenCV.

The contract suite's cases name document types and degradations; building them (or replaying
them) must not pay for the renderer that draws those specimens.
"""

from __future__ import annotations

#: The nine document types, in the order of the API page's ``type`` field.
DOCUMENT_TYPES: tuple[str, ...] = (
    "peru_id_card",
    "cambodian_id_card",
    "hongkong_id_card",
    "macao_id_card",
    "myanmar_driver_license",
    "myanmar_id_card",
    "passport",
    "thailand_id_card",
    "id_card",
)

#: The seven degradations, in the order of the API's alarm fields (blur, glare, blocking within
#: border, insufficient lighting, copy, border integrity, reproduce).
DEGRADATIONS: tuple[str, ...] = ("blur", "glare", "occlusion", "darkness", "copy", "cut_border", "recapture")
