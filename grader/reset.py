"""Put the pristine stubs back into student/, after backing up what is there.

    nox -s reset                 every module
    nox -s reset -- engine nn    just these

The pristine stubs come from the kit's git history (the upstream branch the
kit was cloned from, else this checkout's HEAD), else from the copy the docs
render "What to implement" from (docs/contract/student/, kept equal to the
shipped stubs by a kit test), so a kit downloaded without git resets too; the
current files are first copied to reports/backups/student-<time>/, so
nothing is ever lost.
"""

import argparse
import shutil
import subprocess
import sys
import time

from . import KIT_ROOT

FILES = ("engine", "nn", "train", "derivatives", "__init__")
CONTRACT = "docs/contract/student"  # the shipped stubs, as the docs render them


def pristine_source(root, name, refs=("origin/HEAD", "origin/main", "HEAD")):
    """The shipped stub for student/<name>.py and the git ref it came from."""
    for ref in refs:
        try:
            shown = subprocess.run(["git", "show", f"{ref}:student/{name}.py"], cwd=root,
                                   capture_output=True, text=True)
        except OSError:  # no git at all
            break
        if shown.returncode == 0:
            return shown.stdout, ref
    contract = root / CONTRACT / f"{name}.py"
    if contract.is_file():
        return contract.read_text(), CONTRACT
    return None, None


def main(argv=None, root=KIT_ROOT):
    parser = argparse.ArgumentParser(prog="nox -s reset --", description="Restore the pristine student stubs.")
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help=f"which files to restore (default: all of {', '.join(FILES)})")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in FILES]
    if unknown:
        parser.error(f"no stub called {', '.join(unknown)}: choose from {', '.join(FILES)}")
    modules = args.modules or list(FILES)

    sources = {}
    for name in modules:
        source, ref = pristine_source(root, name)
        if source is None:
            print(f"reset: cannot find the pristine student/{name}.py: this kit is not a git clone "
                  f"(or git is missing) and has no {CONTRACT}/. Download the kit again to get the stubs.",
                  file=sys.stderr)
            return 2
        sources[name] = source

    student = root / "student"
    backup = root / "reports" / "backups" / time.strftime("student-%Y%m%d-%H%M%S")
    changed = [n for n in modules if (student / f"{n}.py").exists()
               and (student / f"{n}.py").read_text() != sources[n]]
    if changed:
        backup.mkdir(parents=True, exist_ok=True)
        for name in changed:
            shutil.copy2(student / f"{name}.py", backup / f"{name}.py")
    for name in modules:
        (student / f"{name}.py").write_text(sources[name])

    if changed:
        print(f"Restored {', '.join(f'{n}.py' for n in modules)} (from {ref}); "
              f"your previous files are in {backup.relative_to(root)}/")
    else:
        print(f"student/ already holds the pristine {', '.join(f'{n}.py' for n in modules)}: nothing to do")
    return 0


if __name__ == "__main__":
    sys.exit(main())
