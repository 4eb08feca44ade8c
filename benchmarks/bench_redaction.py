"""What the redaction policy costs, side by side with a baseline measured in the same run.

- a case record (what every contract case writes): redact_mapping vs json.dumps of the same record;
- a 1 MB answer echoing an image (wrapped at 76 columns) and a token: redact_text vs one
  base64 decode of the same image (the floor of recognising it at all);
- a 7 MB base64 string that is not an image: redact_text vs a regex scan of it for base64 runs.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_redaction.py
"""

from __future__ import annotations

import base64
import json
import os
import re

from _ratio import best_of

from pytest_idclassify.images._flat import png_flat
from pytest_idclassify.redaction import RedactionPolicy


def record() -> dict[str, object]:
    call = {
        "request": "{data=png 64x64 flat#808080} (credentials bad-token) X-Auth-Token='MIIthis-is-not-a-token'",
        "sent": {"method": "POST", "url": "https://ocr.example.com/v2/0123456789abcdef0123456789abcdef/ocr/"
                 "auto-id-doc-classification", "body": {"data": "<base64 1234 chars sha256:0123456789ab...>"}},
        "status": 400,
        "body": {"error_code": "AIS.0101", "error_msg": "The parameter is invalid."},
        "request_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "elapsed": 0.0123,
    }  # fmt: skip
    return {"case": "request.image.side-min[png-14x64]", "clause": "request.image.side-min", "calls": [call] * 3,
            "exercised": ["request.image.side-min"], "violations": []}  # fmt: skip


def main() -> None:
    policy = RedactionPolicy(from_environment=False)
    case = record()
    t_redact = best_of(lambda: policy.redact_mapping(case), repeat=5, number=200)
    t_dumps = best_of(lambda: json.dumps(case), repeat=5, number=200)
    print(f"case record: redact_mapping {t_redact * 1e6:.0f} us vs json.dumps {t_dumps * 1e6:.0f} us "
          f"({t_redact / t_dumps:.1f}x)")  # fmt: skip

    image = base64.b64encode(png_flat(400, 300, (1, 2, 3)) + os.urandom(700_000)).decode("ascii")
    wrapped = "\n".join(image[i : i + 76] for i in range(0, len(image), 76))
    answer = f'{{"echo": "{wrapped}", "note": "token=MIItoken-0123456789abcdef"}}'
    t_text = best_of(lambda: policy.redact_text(answer), repeat=5, number=3)
    t_decode = best_of(lambda: base64.b64decode(image), repeat=5, number=3)
    print(f"1 MB answer with a wrapped image: redact_text {t_text * 1e3:.1f} ms vs one b64decode "
          f"{t_decode * 1e3:.1f} ms ({t_text / t_decode:.1f}x)")  # fmt: skip

    noise = base64.b64encode(os.urandom(5 * 1024 * 1024)).decode("ascii")
    run = re.compile("[A-Za-z0-9+/]{512,}")
    t_noise = best_of(lambda: policy.redact_text(noise), repeat=3, number=1)
    t_scan = best_of(lambda: run.search(noise), repeat=3, number=1)
    print(f"7 MB of non-image base64: redact_text {t_noise * 1e3:.1f} ms vs one regex scan "
          f"{t_scan * 1e3:.1f} ms ({t_noise / t_scan:.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
