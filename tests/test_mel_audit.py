"""The audit finds every listed problem in the legacy mel trainer and nothing in the refactored one."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT, run_json

LEGACY_MEL = ROOT / "legacy" / "mel" / "train.py"

# (rule, a text that starts the flagged line, which occurrence of it); line numbers are looked up.
LEGACY_MEL_PROBLEMS = [
    ("heavy-module-import", "import torch\n", 0),
    ("heavy-module-import", "import torch.nn.functional as F", 0),
    ("heavy-module-import", "from torch.utils.data import DataLoader, Dataset", 0),
    # the class-body sys.path change
    ("import-time-side-effect", "    sys.path.insert(0, str(Path(__file__)", 0),
    # broad excepts around HDF5 opening (and the dataset check, and the summary write)
    ("broad-except", "        except Exception as e:\n            print(f\"Warning: could not read {path}", 0),
    ("broad-except", "            except Exception as e:\n                print(f\"Error opening {self.path}", 0),
    ("broad-except", "    except Exception as e:\n        print(f\"Dataset problem", 0),
    ("broad-except", "    except Exception:\n        print(\"Could not write summary.json\")", 0),
    ("silent-except", "    except Exception:\n        print(\"Could not write summary.json\")", 0),
    # the best checkpoint saved twice, in two formats
    ("duplicate-checkpoint-save", "    torch.save(state, os.path.join(checkpoint_dir, Paths.legacy_best_name))", 0),
    # the batch preparation copied between evaluation and training
    ("duplicate-code", "            features = features.to(device)", 0),
    ("duplicate-code", "            features = features.to(device)", 1),
    ("long-function", "def main(config: DictConfig):", 0),
    ("high-complexity", "def main(config: DictConfig):", 0),
    # persistent_workers tests the training worker count on loaders that get val_workers
    ("dataloader-worker-mismatch", "                            num_workers=val_workers, persistent_workers", 0),
    ("dataloader-worker-mismatch", "                             num_workers=val_workers, persistent_workers", 0),
    # .item() on every training step
    ("sync-in-training-loop", "            running_loss += loss.item()", 0),
    ("sync-in-training-loop", "            running_correct += (logits.argmax(dim=1) == labels).sum().item()", 0),
    ("sync-in-training-loop", "                first_loss = loss.item()", 0),
    ("sync-in-training-loop", "            last_loss = loss.item()", 0),
]


def line_of(path: Path, text: str, occurrence: int) -> int:
    """The line where the ``occurrence``-th copy of ``text`` starts (``text`` starts a line)."""
    source = "\n" + path.read_text()
    starts = []
    index = source.find("\n" + text)
    while index != -1:
        starts.append(index)
        index = source.find("\n" + text, index + 1)
    assert len(starts) > occurrence, f"{text!r} occurs {len(starts)} times in {path}"
    return source[: starts[occurrence] + 1].count("\n")


def test_legacy_mel_trainer_shows_every_problem() -> None:
    code, report = run_json(str(LEGACY_MEL.parent.relative_to(ROOT)))
    listed_rules = {rule for rule, _, _ in LEGACY_MEL_PROBLEMS}
    expected = sorted(("legacy/mel/train.py", line_of(LEGACY_MEL, text, occurrence), rule)
                      for rule, text, occurrence in LEGACY_MEL_PROBLEMS)
    found = sorted((finding["path"], finding["line"], finding["rule"]) for finding in report["findings"]
                   if finding["rule"] in listed_rules)
    assert code == 1 and found == expected


def test_the_copied_batch_preparation_points_at_its_twin() -> None:
    _, report = run_json(str(LEGACY_MEL.parent.relative_to(ROOT)), "--select", "duplicate-code")
    lines = sorted(finding["line"] for finding in report["findings"])
    assert len(lines) == 2 and all(str(other) in finding["message"]
                                   for finding, other in zip(report["findings"], lines[::-1], strict=True))


def test_refactored_mel_trainer_is_clean() -> None:
    code, report = run_json("reference_trainers/mel", "reference_trainers/common")
    assert (code, report["findings"], report["errors"]) == (0, [], [])
    assert report["files_scanned"] >= 10
