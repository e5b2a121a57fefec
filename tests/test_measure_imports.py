"""``audit scan --measure-imports``: opt-in, the only mode that runs scanned code, on a slow stand-in library."""

from __future__ import annotations

import json
from pathlib import Path

from audit.importtime import measure, module_name, parse_importtime
from tests.helpers import run_audit

SLEEP = 0.4
ENTRY = 'import argparse\nimport slow_stand_in\n\nif __name__ == "__main__":\n    argparse.ArgumentParser().parse_args()\n'


def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.audit]\nheavy-modules = ["slow_stand_in"]\n')
    (tmp_path / "slow_stand_in.py").write_text(
        f"import pathlib\nimport time\n\npathlib.Path('imported.marker').touch()\ntime.sleep({SLEEP})\n")
    (tmp_path / "app.py").write_text(ENTRY)
    return tmp_path


def scan_json(folder: Path, *args: str) -> dict:
    done = run_audit("scan", "--format", "json", "--select", "heavy-module-import", *args, "app.py", cwd=folder)
    assert done.returncode == 1, done.stderr
    return json.loads(done.stdout)


def test_scan_executes_nothing_without_the_flag(tmp_path: Path) -> None:
    folder = project(tmp_path)
    [finding] = scan_json(folder)["findings"]
    assert finding["value"] is None and "measured" not in finding["message"]
    assert not (folder / "imported.marker").exists()


def test_measure_imports_adds_the_measured_time(tmp_path: Path) -> None:
    folder = project(tmp_path)
    [finding] = scan_json(folder, "--measure-imports")["findings"]
    assert (folder / "imported.marker").exists()
    assert finding["value"] >= SLEEP  # the stand-in sleeps that long at import
    assert "measured: `import app` takes " in finding["message"]
    assert "(`slow_stand_in` " in finding["message"] and " s of it)" in finding["message"]


def test_a_failing_or_hanging_import_is_reported_not_raised(tmp_path: Path) -> None:
    folder = project(tmp_path)
    (folder / "slow_stand_in.py").write_text("raise RuntimeError('no GPU here')\n")
    [finding] = scan_json(folder, "--measure-imports")["findings"]
    assert finding["value"] is None
    assert finding["message"].endswith("`--measure-imports`: the import failed: RuntimeError: no GPU here")
    (folder / "slow_stand_in.py").write_text("import time\ntime.sleep(30)\n")
    timing = measure("app", folder, timeout=0.5)
    assert timing.seconds is None and timing.problem == "the import did not finish within 0.5 s"


def test_module_names_follow_packages(tmp_path: Path) -> None:
    package = tmp_path / "runners" / "ocr"
    package.mkdir(parents=True)
    (tmp_path / "runners" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text("")
    assert module_name(package / "train.py") == ("runners.ocr.train", tmp_path.resolve())
    assert module_name(package / "__init__.py") == ("runners.ocr", tmp_path.resolve())
    assert module_name(tmp_path / "script.py") == ("script", tmp_path.resolve())


def test_parse_importtime_sums_the_statement_and_reads_each_library() -> None:
    stderr = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       100 |        100 | site",
        "import time:      2000 |    1500000 |   torch",
        "import time:       300 |        300 |     runners",
        "import time:       400 |    1500700 | runners.ocr",
        "import time:       500 |    1900000 | runners.ocr.train",
    ])
    seconds, libraries = parse_importtime(stderr, "runners.ocr.train")
    assert seconds == (1500700 + 1900000) / 1e6
    assert libraries["torch"] == 1.5 and "site" in libraries
