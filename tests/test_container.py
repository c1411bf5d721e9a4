"""The container image and compose file.

The slow tests build the Dockerfile as committed with podman, only swapping its base for a Debian
bookworm root filesystem bootstrapped on this machine (no registry needed), then run the image's
exported filesystem in a chroot as the image's user: ``podman run`` cannot work in every sandbox
(crun may fail to set RLIMIT_NPROC), a chroot can. The bootstrapped base is cached between runs in
$NEWSDIGEST_CI_CACHE (default /var/cache/newsdigest-ci) and in podman's image store.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main as cli_main
from digests import __version__
from tests.conftest import REPO

BASE_IMAGE = "localhost/debian-py:bookworm"
IMAGE = "localhost/newsdigest:smoke"
BUILD_STAGE_IMAGE = "localhost/newsdigest:smoke-build-stage"
SUITE = "bookworm"
CACHE = Path(os.environ.get("NEWSDIGEST_CI_CACHE", "/var/cache/newsdigest-ci"))
# What .dockerignore lets into the build context (pip may add build/ and *.egg-info while installing)
CONTEXT_ALLOWED = {"pyproject.toml", "README.md", "digests", "bot"}
ARTICLE_IN_IMAGE = "/tmp/article.txt"  # noqa: S108 (a fresh chroot's /tmp, no one else's)

ARTICLE = """The city council of Riverton voted on Tuesday to close the old harbour bridge for repairs.

The bridge, opened in 1931, carries 40,000 vehicles a day and failed its last safety inspection.

"We will not wait for the bridge to fail before we act," said Maria Lopez, the council leader.

Shop owners near the harbour fear months of lost trade. "Half of my customers come over that bridge," said one baker.

The repairs are expected to take nine months and cost $15 million.
"""


# --- compose.yaml (fast: no container tools needed) ------------------------------------------------


def test_compose_file_runs_the_service_with_its_volume_env_file_and_restart_policy() -> None:
    compose = load_yaml((REPO / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["newsdigest"]
    assert service["env_file"] == ".env"
    assert service["restart"] == "unless-stopped"
    volume, target = service["volumes"][0].split(":")[:2]
    assert target == "/data"
    assert volume in compose["volumes"]
    assert service["environment"]["NEWSDIGEST_DB"].startswith("/data/")


def test_tiny_yaml_reader_agrees_with_pyyaml_on_the_compose_file() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed")
    text = (REPO / "compose.yaml").read_text(encoding="utf-8")
    assert parse_block_yaml(text) == yaml.safe_load(text)


def load_yaml(text: str) -> dict[str, Any]:
    """PyYAML when installed, else the tiny reader below (enough for compose.yaml)."""
    try:
        import yaml
    except ImportError:
        return parse_block_yaml(text)
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def parse_block_yaml(text: str) -> dict[str, Any]:
    """Block mappings, lists of scalars and comments: the YAML subset compose.yaml uses."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, Any]] = [(0, root)]  # (indent of its entries, container), innermost last
    pending: tuple[dict[str, Any], str] | None = None  # a "key:" whose value is the next block
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        item = line.strip()
        while indent < stack[-1][0]:
            stack.pop()
        if pending is not None:
            parent, key = pending
            parent[key] = [] if item.startswith("- ") else {}
            stack.append((indent, parent[key]))
            pending = None
        container = stack[-1][1]
        if item.startswith("- "):
            container.append(item[2:].strip())
            continue
        key, _, value = item.partition(":")
        if value.strip():
            container[key] = value.strip()
        else:
            container[key] = None
            pending = (container, key)
    return root


# --- the image (slow) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """An image's configuration and its filesystem, exported to a folder."""

    inspected: dict[str, Any]  # `podman image inspect`
    rootfs: Path
    history: str

    @property
    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.inspected["Config"]
        return config

    @property
    def user_ids(self) -> tuple[int, int]:
        name = self.config["User"]
        for line in (self.rootfs / "etc" / "passwd").read_text(encoding="utf-8").splitlines():
            fields = line.split(":")
            if name in (fields[0], fields[2]):
                return int(fields[2]), int(fields[3])
        raise AssertionError(f"user {name!r} is not in the image's /etc/passwd")

    def run(
        self, *argv: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the image's filesystem as the image's user, with its env and workdir."""
        uid, gid = self.user_ids
        environment = [*self.config.get("Env", []), "HOME=/data"]
        environment += [f"{key}={value}" for key, value in (env or {}).items()]
        workdir = self.config.get("WorkingDir") or "/"
        command = ["chroot", f"--userspec={uid}:{gid}", str(self.rootfs), "/usr/bin/env", "-i"]
        command += [f"--chdir={workdir}", *environment, *argv]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_image_user_volume_healthcheck_and_command(image: Image) -> None:
    config = image.config
    uid, gid = image.user_ids
    assert config["User"] == "newsdigest"
    assert uid != 0 and gid != 0
    assert "/data" in config["Volumes"]
    data = (image.rootfs / "data").stat()
    assert (data.st_uid, data.st_gid) == (uid, gid)
    assert "NEWSDIGEST_DB=/data/newsdigest.db" in config["Env"]
    assert config["Cmd"] == ["newsdigest", "run"]
    assert image.inspected["Healthcheck"]["Test"] == ["CMD", "newsdigest", "check", "--quick"]


@pytest.mark.slow
def test_image_holds_no_secrets_tests_or_corpus(image: Image, build_stage: Path) -> None:
    names = {entry.name for entry in (build_stage / "src").iterdir()}
    assert names - {"build"} - {n for n in names if n.endswith(".egg-info")} == CONTEXT_ALLOWED
    assert not (image.rootfs / "src").exists()
    assert list((image.rootfs / "data").iterdir()) == []
    leftovers = [
        path
        for path in (image.rootfs / "opt" / "venv").rglob("*")
        if path.name in {".env", "conftest.py", "corpus"} or path.suffix == ".db"
    ]
    assert leftovers == []
    site = next(image.rootfs.glob("opt/venv/lib/python3*/site-packages"))
    assert not (site / "tests").exists() and not (site / "benchmarks").exists()
    assert not any("TOKEN" in variable for variable in image.config["Env"])
    index = PipIndex.of_this_machine()
    for value in [*index.urls, index.cert]:  # build arguments stay in the build stage
        assert not value or value not in image.history


@pytest.mark.slow
def test_version_runs_as_the_image_user(image: Image) -> None:
    done = image.run("newsdigest", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"newsdigest {__version__}"
    whoami = image.run("python3", "-c", "import os; print(os.getuid())")
    assert whoami.stdout.strip() == str(image.user_ids[0])


@pytest.mark.slow
def test_condense_prints_the_summary_and_a_quote(image: Image) -> None:
    article = image.rootfs / ARTICLE_IN_IMAGE.lstrip("/")
    article.write_text(ARTICLE, encoding="utf-8")
    article.chmod(0o644)
    expected = json.loads(host_cli("condense", str(article), "--format", "json"))
    assert expected["quotes"], "the fixture article must give at least one quote"

    text = image.run("newsdigest", "condense", ARTICLE_IN_IMAGE)
    assert text.returncode == 0, text.stderr
    assert text.stdout == host_cli("condense", str(article))
    assert expected["summary"] in text.stdout
    first = expected["quotes"][0]
    assert re.search(
        rf"^“{re.escape(first['text'][:20])}.*” — {first['speaker']}$", text.stdout, re.M
    )
    as_json = image.run("newsdigest", "condense", ARTICLE_IN_IMAGE, "--format", "json")
    assert json.loads(as_json.stdout) == expected


@pytest.mark.slow
def test_run_without_a_token_fails_in_one_sentence(image: Image) -> None:
    done = image.run("newsdigest", "run")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("newsdigest: ") and "DISCORD_TOKEN" in lines[0]


def host_cli(*argv: str) -> str:
    """The same command run by this checkout's code, for comparison with the image's output."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli_main(list(argv)) == 0
    return out.getvalue()


# --- building ----------------------------------------------------------------------------------


def podman(*argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *argv], capture_output=True, text=True, timeout=timeout, check=False
    )


def require_container_tools() -> None:
    missing = [tool for tool in ("podman", "debootstrap", "chroot") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"container smoke test needs {', '.join(missing)} (see .ci/run)")
    if os.geteuid() != 0:
        pytest.skip("container smoke test needs root for debootstrap and chroot")
    if podman("info", timeout=120).returncode != 0:
        pytest.skip("container smoke test: podman is installed but `podman info` fails here")


def debian_mirror() -> str:
    """The Debian mirror apt already uses for the main suite (never a host of our choosing)."""
    sources = Path("/etc/apt")
    files = [sources / "sources.list", *sorted((sources / "sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = dict(
                    re.findall(r"^(\w[\w-]*):\s*(.+)$", stanza, re.MULTILINE)
                )
                if (
                    "deb" in fields.get("Types", "").split()
                    and SUITE in fields.get("Suites", "").split()
                ):
                    return fields["URIs"].split()[0]
        elif path.suffix == ".list" or path.name == "sources.list":
            for match in re.finditer(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", text, re.M):
                return match.group(1)
    pytest.skip(f"container smoke test: no Debian {SUITE} mirror in /etc/apt sources")


def ensure_base_image() -> None:
    """localhost/debian-py:bookworm from podman's store, the cached tarball, or debootstrap."""
    if podman("image", "exists", BASE_IMAGE).returncode == 0:
        return
    tarball = CACHE / f"debian-py-{SUITE}.tar"
    if not writable(CACHE):
        with tempfile.TemporaryDirectory() as scratch:  # no cache: bootstrap, import, forget
            tarball = Path(scratch) / tarball.name
            bootstrap(tarball)
            import_base(tarball)
        return
    if not tarball.exists():
        bootstrap(tarball)
    import_base(tarball)


def import_base(tarball: Path) -> None:
    imported = podman("import", str(tarball), BASE_IMAGE)
    if imported.returncode != 0:
        pytest.skip(f"container smoke test: podman import fails here: {last_line(imported)}")


def bootstrap(tarball: Path) -> None:
    with tempfile.TemporaryDirectory(dir=tarball.parent) as work:
        rootfs = Path(work) / "rootfs"
        packages = "python3,python3-venv,python3-pip"
        argv = ["debootstrap", "--variant=minbase", f"--include={packages}", SUITE, str(rootfs)]
        done = subprocess.run(
            [*argv, debian_mirror()],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"container smoke test: debootstrap fails here: {last_line(done)}")
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
        partial.replace(tarball)


def writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    output: str = done.stderr or done.stdout
    lines = output.strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


@dataclass(frozen=True)
class PipIndex:
    """The package index this machine's pip uses (its environment, else its configuration), and
    the CA bundle it trusts for it (a TLS-inspecting proxy's CA is in the machine's bundle only)."""

    index_url: str
    extra_index_urls: tuple[str, ...]
    cert: str

    @classmethod
    def of_this_machine(cls) -> PipIndex:
        configured: dict[str, str] = {}
        listed = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for line in listed.stdout.splitlines():  # e.g. global.extra-index-url='file:///a b'
            key, _, value = line.partition("=")
            configured[key.rpartition(".")[2]] = value.strip().strip("'\"")
        index = os.environ.get("PIP_INDEX_URL") or configured.get("index-url", "")
        extras = os.environ.get("PIP_EXTRA_INDEX_URL") or configured.get("extra-index-url", "")
        cert = os.environ.get("PIP_CERT") or configured.get("cert", "")
        return cls(index_url=index, extra_index_urls=tuple(extras.split()), cert=cert)

    @property
    def urls(self) -> list[str]:
        return [url for url in (self.index_url, *self.extra_index_urls) if url]

    def build_options(self) -> list[str]:
        """Build arguments naming all this; local files (file:// indexes, the CA bundle) are
        mounted read-only at their own paths for the build's RUN steps, never copied in."""
        options: list[str] = []
        mounts: list[Path] = []
        if self.index_url:
            options.append(f"--build-arg=PIP_INDEX_URL={self.index_url}")
        if self.extra_index_urls:
            options.append(f"--build-arg=PIP_EXTRA_INDEX_URL={' '.join(self.extra_index_urls)}")
        if self.cert:
            options.append(f"--build-arg=PIP_CERT={self.cert}")
            mounts.append(Path(self.cert))
        for url in self.urls:
            parsed = urllib.parse.urlparse(url)
            if parsed.scheme == "file":  # the index's parent holds simple/ and its files
                mounts.append(Path(urllib.parse.unquote(parsed.path)).parent)
        return options + [f"--volume={path}:{path}:ro" for path in mounts if path.exists()]


def build(target: str | None, tag: str) -> None:
    argv = ["build", "--isolation=chroot", "--format=docker", f"--build-arg=BASE={BASE_IMAGE}"]
    argv += PipIndex.of_this_machine().build_options()
    argv += [f"--target={target}"] if target else []
    previous = image_id(tag)
    built = podman(*argv, f"--tag={tag}", str(REPO), timeout=1800)
    assert built.returncode == 0, f"podman build failed:\n{built.stderr[-4000:]}"
    if previous and previous != image_id(tag):
        podman("rmi", previous)  # the last run's build, now untagged: keep the store from growing


def image_id(tag: str) -> str:
    inspected = podman("image", "inspect", "--format={{.Id}}", tag)
    return inspected.stdout.strip() if inspected.returncode == 0 else ""


def export(tag: str, folder: Path) -> Path:
    """The image's filesystem as a folder, via a created (never started) container."""
    created = podman("create", tag, "true")  # a command for stages without CMD; never run
    assert created.returncode == 0, created.stderr
    container = created.stdout.strip()
    try:
        archive = folder.with_suffix(".tar")
        exported = podman("export", f"--output={archive}", container)
        assert exported.returncode == 0, exported.stderr
    finally:
        podman("rm", "--force", container)
    folder.mkdir()
    subprocess.run(["tar", "-C", str(folder), "-xf", str(archive)], check=True)
    archive.unlink()
    return folder


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    require_container_tools()
    ensure_base_image()
    build(None, IMAGE)
    inspected = podman("image", "inspect", IMAGE)
    history = podman("history", "--no-trunc", "--format={{.CreatedBy}}", IMAGE).stdout
    folder = tmp_path_factory.mktemp("image") / "rootfs"
    yield Image(json.loads(inspected.stdout)[0], rootfs=export(IMAGE, folder), history=history)
    shutil.rmtree(folder)


@pytest.fixture(scope="module")
def build_stage(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The first build stage (all layers cached by now), to see what the build context held."""
    build("build", BUILD_STAGE_IMAGE)
    folder = export(BUILD_STAGE_IMAGE, tmp_path_factory.mktemp("build-stage") / "rootfs")
    yield folder
    shutil.rmtree(folder)
