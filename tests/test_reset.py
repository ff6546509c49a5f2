"""`nox -s reset` brings the pristine stubs back and keeps a backup of the student's work."""

import shutil
import subprocess

from conftest import KIT_ROOT
from grader import reset


def make_kit(tmp_path):
    kit = tmp_path / "kit"
    shutil.copytree(KIT_ROOT / "student", kit / "student", ignore=shutil.ignore_patterns("__pycache__"))
    for command in (["init", "-q"], ["add", "student"],
                    ["-c", "user.name=kit", "-c", "user.email=kit@example.invalid", "commit", "-qm", "stubs"]):
        subprocess.run(["git", *command], cwd=kit, check=True)
    return kit


def test_reset_restores_one_module_and_backs_up_the_work(tmp_path, capsys):
    kit = make_kit(tmp_path)
    pristine = (kit / "student" / "nn.py").read_text()
    (kit / "student" / "nn.py").write_text("my work\n")
    (kit / "student" / "engine.py").write_text("engine work\n")

    assert reset.main(["nn"], root=kit) == 0

    assert (kit / "student" / "nn.py").read_text() == pristine
    assert (kit / "student" / "engine.py").read_text() == "engine work\n"  # not asked for
    [backup] = (kit / "reports" / "backups").iterdir()
    assert (backup / "nn.py").read_text() == "my work\n"
    assert "previous files are in" in capsys.readouterr().out


def test_reset_without_git_history_says_so(tmp_path, capsys):
    (tmp_path / "student").mkdir()
    assert reset.main([], root=tmp_path) == 2
    assert "not a git clone" in capsys.readouterr().err


def test_reset_without_git_takes_the_stubs_the_docs_render(tmp_path, capsys):
    """A kit downloaded as a zip has no history: the copy behind "What to implement" serves."""
    shutil.copytree(KIT_ROOT / "docs" / "contract" / "student", tmp_path / "docs" / "contract" / "student")
    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "train.py").write_text("my work\n")
    assert reset.main(["train"], root=tmp_path) == 0
    assert (tmp_path / "student" / "train.py").read_text() == \
        (KIT_ROOT / "docs" / "contract" / "student" / "train.py").read_text()
    assert "from docs/contract/student" in capsys.readouterr().out
