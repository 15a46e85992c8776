"""`make dist`: build the sdist and the wheel, check them, and run the wheel alone.

1. `python -m build` into dist/: exactly one sdist and one wheel, named for the version;
2. `twine check --strict`: the metadata and the README render on the package index;
3. the sdist carries LICENSE and CHANGELOG.md, the wheel the licence;
4. the wheel, installed alone in a fresh virtual environment (its dependencies from the
   package index), runs `tap-braze-dau --version` and `--about`.
Exits non-zero, saying which step failed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

from tap_braze_dau import __version__

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"


def run(*args: str, cwd: Path = ROOT) -> str:
    print("$", " ".join(args), flush=True)
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def main() -> None:
    shutil.rmtree(DIST, ignore_errors=True)
    run(sys.executable, "-m", "build", "--outdir", str(DIST), str(ROOT))
    sdists = sorted(DIST.glob("*.tar.gz"))
    wheels = sorted(DIST.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        sys.exit(f"expected one sdist and one wheel, got {[p.name for p in DIST.iterdir()]}")
    sdist, wheel = sdists[0], wheels[0]
    for built in (sdist, wheel):
        if f"-{__version__}" not in built.name:
            sys.exit(f"{built.name} is not named for version {__version__}")
    run(sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel))

    with tarfile.open(sdist) as archive:
        names = {
            Path(name).relative_to(Path(name).parts[0]).as_posix() for name in archive.getnames()
        }
    missing = {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} - names
    if missing:
        sys.exit(f"{sdist.name} lacks {sorted(missing)}")
    with zipfile.ZipFile(wheel) as archive:
        if not any(name.endswith("/licenses/LICENSE") for name in archive.namelist()):
            sys.exit(f"{wheel.name} does not carry LICENSE")
        # The emulator is the tests' oracle, not part of what users install.
        if any(name.startswith("braze_emulator/") for name in archive.namelist()):
            sys.exit(f"{wheel.name} carries the Braze emulator")

    with tempfile.TemporaryDirectory(prefix="tap-braze-dau-wheel-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        python = env_dir / "bin" / "python"
        run(
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        )
        tap = str(env_dir / "bin" / "tap-braze-dau")
        version = run(tap, "--version", cwd=Path(tmp))
        if __version__ not in version:
            sys.exit(f"the installed wheel says {version!r}, not version {__version__}")
        about = run(tap, "--about", "--format=json", cwd=Path(tmp))
        if '"name": "tap-braze-dau"' not in about or "kpi.mau.data_series" not in about:
            sys.exit("the installed wheel's --about is not the tap's")
    print(f"dist/: {sdist.name} and {wheel.name} built, checked, and run from a fresh venv")


if __name__ == "__main__":
    main()
