"""The Dockerfile's steps, run where no container engine is: hadolint lints it, then its own
commands build the "image" in a fresh virtual environment and start it as its user.

What stands in for the container: a venv made with --system-site-packages (so the pinned
torch CPU wheel and the requirements already installed here satisfy the Dockerfile's pip
lines without downloading them again: the same commands, seconds instead of minutes), the
build context copied to a temporary WORKDIR minus what .dockerignore leaves out, and the
USER's uid taken with setpriv instead of a user created on this machine. Where this machine's
Python lives under a directory only root may enter (pyenv in /root), that uid also gets
CAP_DAC_READ_SEARCH, which lets it read and traverse but write nothing it does not own: the
app still runs with the rights of a stranger to every file but its own. The server binds
127.0.0.1 on a free port instead of 0.0.0.0:8501 (loopback only), and the HEALTHCHECK
command, pointed at that port, must pass within its start period.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import psutil
import pytest

from deploy.replicas import stop
from tests.e2e.live import free_port
from tests.e2e.protocol import Learner

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"

pytestmark = pytest.mark.e2e


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def ignored(rel: str, patterns: list[str]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if fnmatch.fnmatch(rel, pattern) or any(fnmatch.fnmatch(p, bare) for p in parts):
            return True
    return False


def copy_context(src: str, dest: Path) -> None:
    """COPY from the build context, leaving out what .dockerignore names."""
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    source = ROOT / src
    if source.is_file():
        shutil.copy2(source, dest)
        return
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if ignored(rel, patterns) or not path.is_file():
            continue
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def reachable(path: Path) -> bool:
    """Whether any user may walk down to `path` (every directory on the way has o+x)."""
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def exec_form(args: str) -> list[str]:
    assert args.startswith("["), f"use the JSON (exec) form, not {args!r}"
    return json.loads(args)


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        if os.environ.get("CI"):
            pytest.fail("hadolint is missing: pip install -r requirements-dev.txt")
        pytest.skip("hadolint is not installed")
    out = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.timeout(300)
def test_the_image_steps_build_and_serve_as_a_non_root_user(tmp_path: Path) -> None:
    steps = instructions(DOCKERFILE.read_text())
    base = next(arg for op, arg in steps if op == "FROM")
    assert base.startswith("python:3.11"), base
    assert sys.version_info[:2] == (3, 11), "the venv stands in for the image's Python 3.11"

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}",
           "VIRTUAL_ENV": str(env_dir), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    app = tmp_path / "app"
    uid = user = None
    health: list[str] = []
    cmd: list[str] = []
    for op, arg in steps:
        if op == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(arg)))
        elif op == "WORKDIR":
            assert arg == "/app"
            app.mkdir()
        elif op == "COPY":
            src, dest = shlex.split(arg)
            copy_context(src, app if dest == "." else app / dest)
        elif op == "RUN" and "useradd" in arg:
            # the user is not created on this machine: its uid is taken with setpriv below
            uid = int(re.search(r"--uid (\d+)", arg).group(1))
            assert f"chown -R {uid} /app" in arg, "the app's files belong to the user"
        elif op == "RUN":
            assert arg.startswith("pip install"), f"a step this test does not know: {arg}"
            out = subprocess.run(["bash", "-c", arg], cwd=app, env=env, capture_output=True,
                                 text=True, check=False, timeout=240)
            assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        elif op == "USER":
            user = arg
        elif op == "HEALTHCHECK":
            health = exec_form(arg.split(" CMD ", 1)[1].strip())
        elif op == "CMD":
            cmd = exec_form(arg)

    probe = "import torch; print(torch.__version__, torch.version.cuda)"
    version = subprocess.run([str(env_dir / "bin" / "python"), "-c", probe], env=env,
                             capture_output=True, text=True, check=True).stdout.split()
    assert version[0].endswith("+cpu") and version[1] == "None", f"not the CPU wheel: {version}"
    assert user is not None and user.isdigit() and int(user) == uid != 0, \
        "USER is the numeric, non-root uid that useradd created"

    port = str(free_port())
    everywhere = "0.0.0.0"  # noqa: S104 (what the image binds; replaced by loopback here)
    cmd = [a.replace(everywhere, "127.0.0.1").replace("8501", port) for a in cmd]
    health = [a.replace(":8501/", f":{port}/") for a in health]
    home = tmp_path / "home"
    home.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        for path in (app, home, *app.rglob("*")):
            os.chown(path, uid, uid)
        as_user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        if not reachable(Path(sys.base_prefix)):
            as_user += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    env["HOME"] = str(home)
    server = subprocess.Popen([*as_user, *cmd], cwd=app, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60  # the HEALTHCHECK's start period
        while True:
            checked = subprocess.run([*as_user, *health], cwd=app, env=env,
                                     capture_output=True, check=False, timeout=10)
            if checked.returncode == 0:
                break
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the health check never passed"
            time.sleep(0.5)
        if as_user:
            assert psutil.Process(server.pid).uids().real == uid
        learner = Learner(f"http://127.0.0.1:{port}")
        try:
            assert learner.open().errors() == []
        finally:
            learner.close()
    finally:
        stop(server)
