"""The layers contract (pyproject.toml, import-linter) holds: a lower app never imports a
higher one. `make test` runs `lint-imports` first; this test keeps it in the suite for a
plain `pytest` too, and checks the contract lists every app of the project."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_layers_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def test_every_app_has_its_layer():
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    layered = {name.strip() for layer in contract["layers"] for name in layer.replace("|", ":").split(":")}
    apps = {p.parent.name for p in (ROOT / "xueji").glob("*/apps.py")}
    assert apps == layered, f"apps without a layer: {apps - layered}; layers without an app: {layered - apps}"
