"""The audit is quiet on the reference trainers and finds every problem in the legacy versions."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT, run_json

LEGACY_OCR = ROOT / "legacy" / "ocr" / "train.py"

# (rule, a text that starts the flagged line); the line number is looked up so edits stay cheap.
LEGACY_OCR_PROBLEMS = [
    ("unused-import", "from reference_trainers.ocr.glyphs import glyph_atlas"),
    ("global-statement", "    global _shutdown_in_progress"),
    ("broad-except", "    except Exception as e:\n        print(f\"Error during trainer shutdown"),
    ("silent-except", "    except Exception as e:\n        print(f\"Error during trainer shutdown"),
    ("broad-except", "    except Exception as e:\n        print(f\"Error during data module cleanup"),
    ("silent-except", "    except Exception as e:\n        print(f\"Error during data module cleanup"),
    ("global-signal-handler", "signal.signal(signal.SIGINT, signal_handler)"),
    ("global-signal-handler", "signal.signal(signal.SIGTERM, signal_handler)"),
    ("long-function", "def train(config: DictConfig):"),
    ("high-complexity", "def train(config: DictConfig):"),
    ("global-statement", "    global trainer, data_module"),
    ("broad-except", "    except Exception as e:\n        print(f\"Warning: failed to ensure output directories"),
    ("silent-except", "    except Exception as e:\n        print(f\"Warning: failed to ensure output directories"),
    ("broad-except", "        except Exception:\n            wandb_config = OmegaConf.to_container(config, resolve=False)"),
    ("broad-except", "        except Exception:\n            pass"),
    ("silent-except", "        except Exception:\n            pass"),
]


def line_of(path: Path, text: str) -> int:
    source = path.read_text()
    assert source.count(text) == 1, f"{text!r} must occur once in {path}"
    return source[: source.index(text)].count("\n") + 1


def test_reference_trainers_are_clean() -> None:
    code, report = run_json("reference_trainers")
    assert (code, report["findings"], report["errors"]) == (0, [], [])
    assert report["files_scanned"] >= 8


def test_legacy_ocr_trainer_shows_every_problem() -> None:
    code, report = run_json(str(LEGACY_OCR.relative_to(ROOT)))
    expected = sorted((line_of(LEGACY_OCR, text), rule) for rule, text in LEGACY_OCR_PROBLEMS)
    core_rules = {rule for rule, _ in LEGACY_OCR_PROBLEMS}  # the training rules: tests/test_training_rules.py
    found = sorted((finding["line"], finding["rule"]) for finding in report["findings"] if finding["rule"] in core_rules)
    assert code == 1 and found == expected


def test_legacy_train_function_is_measured() -> None:
    _, report = run_json(str(LEGACY_OCR.relative_to(ROOT)), "--select", "long-function,high-complexity")
    by_rule = {finding["rule"]: finding for finding in report["findings"]}
    assert by_rule["long-function"]["value"] > 100 and by_rule["long-function"]["symbol"] == "train"
    assert by_rule["high-complexity"]["value"] > 20
