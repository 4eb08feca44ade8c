"""Every shell command and Python snippet in README.md and docs/ runs as written.

One test per page: its fenced blocks run in order in one fresh folder, so a page reads as a script
(a file one block writes is there for the next).  What runs:

- ``python`` blocks: as a script, or, when they define ``test_*`` functions, as a test file under pytest;
- ``sh`` blocks: with ``bash -euo pipefail``; ``pip install`` lines are checked (they must install from
  the repository, since the package is on no index), not run;
- ``console`` blocks: each ``$ command`` runs; it must succeed, unless the output shown starts with
  ``Error:``, when it must fail with that first line;
- ``json``, ``ini`` and ``toml`` blocks: they must parse.

Blocks without a language are sample output and are not run.  A comment right above a fence changes
what happens to it: ``<!-- docs-test: skip REASON -->`` (a reason is required: the live service, a
server that runs until stopped), or ``<!-- docs-test: prelude ... -->`` with code the next Python block
needs but the page need not show (a fixture standing for "your client").

The pages speak of "the emulator you started with ``idclassify serve --port 8080``": a reference
emulator is served for the session on a free loopback port, and ``127.0.0.1:8080`` in a block means it.
For Python blocks the client's variables (``IDCLASSIFY_BASE_URL``, ``IDCLASSIFY_PROJECT_ID``,
``IDCLASSIFY_TOKEN``) name it too.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_idclassify.emulator import EmulatorSettings, serve

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *ROOT.glob("docs/**/*.md")])
_FENCE = re.compile(r"^```(?P<lang>[a-z]*)\s*$")
_MARK = re.compile(r"^<!-- docs-test: (?P<kind>skip|prelude)(?P<rest>.*)$")
_REPO_INSTALL = re.compile(r"pip install (-e )?['\"]?\.(\[[a-z,]+\])?['\"]?(\s|$)")
# A block may take a while (a verify run, a wheel-less install check), never forever.
_BLOCK_TIMEOUT = 600
_EMULATOR_PORT = "127.0.0.1:8080"
_SERVE_IN_BACKGROUND = re.compile(r"^\s*idclassify serve --port 8080\s*&\s*$")
# Nothing a docs test runs may reach beyond this machine: a block naming another host is skipped, with why.
# (Userinfo is skipped; the reserved documentation names, example.com and *.invalid, are no one's server.)
_URL_HOST = re.compile(r"https?://(?:[^/@\s]*@)?(?P<host>\[[0-9a-f:]+\]|[^/\s:'\"`)]+)")
_LOCAL_HOSTS = re.compile(
    r"^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|emulator|testserver|.*\.invalid|(.*\.)?example\.(com|org|net))$"
)


@dataclass
class Block:
    """One fenced block of a page."""

    page: Path
    line: int
    lang: str
    text: str
    skip: str | None = None
    prelude: str = ""

    @property
    def where(self) -> str:
        """``page:line`` of the block's first line, for messages."""
        shown = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{shown}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced blocks of ``page`` with the marks written above them."""
    lines = page.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    index = 0
    skip: str | None = None
    prelude = ""
    while index < len(lines):
        line = lines[index]
        mark = _MARK.match(line)
        if mark is not None:
            rest = mark["rest"]
            if mark["kind"] == "skip":
                skip = rest.removesuffix("-->").strip()
                if not skip:
                    raise AssertionError(f"{page}:{index + 1}: a docs-test skip needs a reason")
            else:
                body = []
                index += 1
                while lines[index].strip() != "-->":
                    body.append(lines[index])
                    index += 1
                prelude = "\n".join(body) + "\n"
            index += 1
            continue
        fence = _FENCE.match(line)
        if fence is None:
            if line.strip():
                skip, prelude = None, ""
            index += 1
            continue
        start = index + 1
        index += 1
        while not lines[index].startswith("```"):
            index += 1
        out.append(Block(page, start, fence["lang"], "\n".join(lines[start:index]) + "\n", skip, prelude))
        skip, prelude = None, ""
        index += 1
    return out


@pytest.fixture(scope="session")
def docs_emulator() -> Iterator[tuple[str, EmulatorSettings]]:
    """The emulator the pages call ``127.0.0.1:8080``, on a free port."""
    settings = EmulatorSettings()
    with serve(settings) as url:
        yield url, settings


def _environment(url: str, settings: EmulatorSettings, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDCLASSIFY_", "CLOUD_SDK_"))}
    env.update(
        HOME=str(home),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONWARNINGS="error::DeprecationWarning",
    )
    return env


def _client_environment(env: dict[str, str], url: str, settings: EmulatorSettings) -> dict[str, str]:
    # Python blocks build clients from the environment; commands keep theirs, so `idclassify verify`
    # with no target still verifies the embedded emulator as the pages say.
    return {**env, "IDCLASSIFY_BASE_URL": url, "IDCLASSIFY_PROJECT_ID": settings.project_id,
            "IDCLASSIFY_TOKEN": settings.tokens[0]}  # fmt: skip


def _run(command: list[str], cwd: Path, env: dict[str, str], block: Block, stdin: str | None = None) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
                              timeout=_BLOCK_TIMEOUT)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block.where}: did not finish within {_BLOCK_TIMEOUT} s:\n{block.text}")
    if done.returncode != 0:
        pytest.fail(
            f"{block.where}: exited {done.returncode}:\n{block.text}\n--- stdout\n{done.stdout[-3000:]}"
            f"\n--- stderr\n{done.stderr[-3000:]}"
        )
    return done.stdout + done.stderr


def _shell(block: Block, text: str) -> str:
    # A job a block leaves in the background would hold the output pipe open after the block ends,
    # and the block would never finish: it is stopped when the block's shell exits.
    kept = ["trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for line in text.splitlines():
        if _SERVE_IN_BACKGROUND.match(line):
            # The session's emulator is the one this line starts: it already listens on the port.
            kept.append(":")
            continue
        if re.search(r"\bpip install\b", line):
            assert _REPO_INSTALL.search(line), (
                f"{block.where}: `{line.strip()}` installs from an index, but the package is on none; "
                "install from the repository (pip install . / pip install -e '.[test]')"
            )
            # The running interpreter has the package already; installing again would only cost time.
            line = re.sub(r"pip install (-e )?['\"]?\.(\[[a-z,]+\])?['\"]?", ":", line)
        kept.append(line)
    return "\n".join(kept) + "\n"


def _console(block: Block, cwd: Path, env: dict[str, str]) -> None:
    lines = block.text.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        shown = []
        for following in lines[index + 1 :]:
            if following.startswith("$ "):
                break
            shown.append(following)
        command = _shell(block, line[2:])
        done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=_BLOCK_TIMEOUT)  # fmt: skip
        if shown and shown[0].startswith("Error:"):
            assert done.returncode != 0, f"{block.where}: `{line[2:]}` was shown failing but succeeded"
            assert shown[0] in done.stdout + done.stderr, f"{block.where}: {done.stdout}{done.stderr}"
        else:
            assert done.returncode == 0, f"{block.where}: `{line[2:]}` failed:\n{done.stdout}{done.stderr}"


def _check_local(block: Block) -> None:
    if block.lang not in ("python", "sh", "console"):
        return
    for match in _URL_HOST.finditer(block.prelude + block.text):
        assert _LOCAL_HOSTS.match(match["host"]), (
            f"{block.where}: names {match['host']}, beyond this machine; mark the block "
            "<!-- docs-test: skip needs the live service --> (or point it at 127.0.0.1:8080, the docs' emulator)"
        )


def run_block(
    block: Block, cwd: Path, env: dict[str, str], port: str, python_env: dict[str, str] | None = None
) -> None:
    """Run (or parse) one block as the module docstring says."""
    _check_local(block)
    text = block.text.replace(_EMULATOR_PORT, port)
    prelude = block.prelude.replace(_EMULATOR_PORT, port)
    if block.lang == "python":
        source = prelude + text
        if re.search(r"^def test_|^async def test_", text, re.M):
            (cwd / "test_snippet.py").write_text(source, encoding="utf-8")
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_snippet.py"]
            _run(command, cwd, python_env or env, block)
        else:
            _run([sys.executable, "-c", source], cwd, python_env or env, block)
    elif block.lang == "sh":
        _run(["bash", "-euo", "pipefail"], cwd, env, block, stdin=_shell(block, text))
    elif block.lang == "console":
        _console(block, cwd, env)
    elif block.lang == "json":
        json.loads(text)
    elif block.lang == "ini":
        configparser.ConfigParser().read_string(text)
    elif block.lang == "toml":
        from pytest_idclassify.emulator._settings import _toml_loads

        _toml_loads(text)
    elif block.lang == "text":
        return  # sample output or a data file's text, shown as it is
    elif block.lang:
        pytest.fail(f"{block.where}: no runner for ```{block.lang} blocks; use python, sh, console, json, ini or toml")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_block_of_the_page_runs(page: Path, tmp_path: Path, docs_emulator: tuple[str, EmulatorSettings]) -> None:
    url, settings = docs_emulator
    env = _environment(url, settings, tmp_path / "home")
    (tmp_path / "home").mkdir()
    work = tmp_path / "work"
    work.mkdir()
    port = url.removeprefix("http://")
    ran = 0
    for block in blocks_of(page):
        if block.skip is not None or not block.lang:
            continue
        run_block(block, work, env, port, _client_environment(env, url, settings))
        ran += 1
    if not ran:
        pytest.skip("no block to run on this page")


def test_the_marks_are_read(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- docs-test: skip needs the live service -->\n```sh\nexit 1\n```\n\n"
        "<!-- docs-test: prelude\nx = 2\n-->\n```python\nassert x == 2\n```\n\n```\nsample output\n```\n",
        encoding="utf-8",
    )
    found = blocks_of(page)
    assert [(b.lang, b.skip, b.prelude) for b in found] == [
        ("sh", "needs the live service", ""),
        ("python", None, "x = 2\n"),
        ("", None, ""),
    ]


def test_a_block_that_names_a_remote_host_is_refused_unless_skipped(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```sh\nidclassify verify --base-url https://ocr.example.cn\n```\n", encoding="utf-8")
    (block,) = blocks_of(page)
    with pytest.raises(AssertionError, match=r"names ocr\.example\.cn, beyond this machine"):
        run_block(block, tmp_path, dict(os.environ), "127.0.0.1:1")


def test_a_skip_without_a_reason_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- docs-test: skip -->\n```sh\nexit 1\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="needs a reason"):
        blocks_of(page)
