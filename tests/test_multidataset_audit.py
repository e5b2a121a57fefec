"""The audit finds every problem of the legacy multi-dataset trainer, exactly, and none in the refactored one."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT, run_json

LEGACY = ROOT / "legacy" / "multidataset"
MAIN = "train_ddp_multidataset.py"
BACKUP = "train_ddp_multidataset_BACKUP.py"
OLD = "train_ddp_multidataset_OLD.py"

# (rule, file, text that starts the flagged line, optional text it follows); lines are looked up, so edits stay cheap.
LEGACY_PROBLEMS = [
    ("heavy-module-import", MAIN, "import lightning.pytorch as pl"),
    ("heavy-module-import", MAIN, "import torch\n"),
    ("heavy-module-import", MAIN, "import torch.distributed as dist"),
    ("heavy-module-import", MAIN, "import torch.nn as nn"),
    ("heavy-module-import", MAIN, "import torch.nn.functional as F"),
    ("heavy-module-import", MAIN, "from lightning.pytorch.callbacks import"),
    ("unused-import", MAIN, "from lightning.pytorch.callbacks import"),
    ("heavy-module-import", MAIN, "from torch.optim.lr_scheduler import _LRScheduler"),
    ("heavy-module-import", MAIN, "from torch.utils.data import DataLoader, Dataset, Sampler"),
    ("hard-coded-path", MAIN, 'DEFAULT_OUTPUT_DIR = "/data/'),
    # The sampler's set-up, copied into the backup.
    ("duplicate-code", MAIN, "        self.total_steps = total_steps\n        self.epoch = 0"),
    ("duplicate-code", BACKUP, "        self.total_steps = total_steps\n        self.epoch = 0"),
    ("broad-except", MAIN, "        except Exception:\n            self.rank = 0"),
    ("broad-except", BACKUP, "        except Exception:\n            self.rank = 0"),
    ("broad-except", MAIN, "            except Exception as e:\n                print(f\"Skipping dataset config"),
    ("silent-except", MAIN, "            except Exception as e:\n                print(f\"Skipping dataset config"),
    # Validation loaders: persistent_workers tests the training worker count.
    ("dataloader-worker-mismatch", MAIN,
     "                                      persistent_workers=(self.persistent_workers and self.num_workers > 0)))"),
    # The per-dataset step, copied between training and validation.
    ("duplicate-code", MAIN, "            name = self.dataset_names[dataset_index]", "    def training_step"),
    ("duplicate-code", MAIN, "            name = self.dataset_names[dataset_index]", "    def validation_step"),
    ("broad-except", MAIN, "        except Exception:\n            pass\n\n\nclass CurriculumCallback"),
    ("silent-except", MAIN, "        except Exception:\n            pass\n\n\nclass CurriculumCallback"),
    ("long-function", MAIN, "def main():"),
    ("high-complexity", MAIN, "def main():"),
    ("struct-mode-disabled", MAIN, "    OmegaConf.set_struct(config, False)"),
    ("broad-except", MAIN, "    except Exception as e:\n        print(f\"Warning: could not create output directories"),
    ("silent-except", MAIN, "    except Exception as e:\n        print(f\"Warning: could not create output directories"),
    ("manual-device-scaling", MAIN, '    if runtime_cfg.get("auto_gpu_devices", True)'),
    ("silent-except", MAIN, "        except ValueError:\n            pass"),
    ("isinstance-ladder", MAIN, "    if isinstance(wandb_cfg, DictConfig):"),
    ("broad-except", MAIN, "        except Exception:\n            wandb_config = {}"),
    ("broad-except", MAIN, "            except Exception:\n                metrics[key] = None"),
    ("broad-except", MAIN, "        except Exception:\n            pass\n        print(json.dumps(summary"),
    ("silent-except", MAIN, "        except Exception:\n            pass\n        print(json.dumps(summary"),
    ("backup-file", BACKUP, '"""Backup of train_ddp_multidataset.py'),
    ("backup-file", OLD, '"""train_ddp_multidataset.py as it was'),
]


def line_of(path: Path, text: str, after: str | None = None) -> int:
    """The line where ``text`` starts (its only occurrence, or its first after ``after``)."""
    source = path.read_text()
    start = 0
    if after is not None:
        assert source.count(after) == 1, f"{after!r} must occur once in {path}"
        start = source.index(after)
    else:
        assert source.count(text) == 1, f"{text!r} must occur once in {path}"
    return source[: source.index(text, start)].count("\n") + 1


def test_legacy_multidataset_trainer_shows_every_problem_and_nothing_else() -> None:
    code, report = run_json(str(LEGACY.relative_to(ROOT)))
    expected = sorted((f"legacy/multidataset/{name}", line_of(LEGACY / name, *text), rule)
                      for rule, name, *text in LEGACY_PROBLEMS)
    found = sorted((finding["path"], finding["line"], finding["rule"]) for finding in report["findings"])
    assert code == 1 and found == expected


def test_legacy_main_function_is_measured() -> None:
    _, report = run_json(str((LEGACY / MAIN).relative_to(ROOT)), "--select", "long-function,high-complexity")
    by_rule = {finding["rule"]: finding for finding in report["findings"]}
    assert by_rule["long-function"]["value"] > 100 and by_rule["long-function"]["symbol"] == "main"
    assert by_rule["high-complexity"]["value"] > 20


def test_refactored_multidataset_trainer_is_clean() -> None:
    code, report = run_json("reference_trainers/multidataset")
    assert (code, report["findings"], report["errors"]) == (0, [], [])
    assert report["files_scanned"] >= 8


def test_committed_multidataset_reports_are_fresh() -> None:
    import importlib.util

    # Loaded by path: the module name `build` is also the PyPI package the wheel test uses.
    spec = importlib.util.spec_from_file_location("reports_build", ROOT / "reports" / "build.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    for name in ("legacy_multidataset_assessment.md", "multidataset_compare.md"):
        assert (ROOT / "reports" / name).read_text() == builder.generate(name), "stale: run python reports/build.py"
