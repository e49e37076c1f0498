"""Installing packages the way Python users do: `-m venv`, `-m ensurepip`,
`-m pip install/list/show/uninstall`, console scripts, sdists (PEP 517),
`--user`, `.pth` files — network-free: the seed wheels come from the
wheelhouse ci/fetch-wheels.sh fills, the rest is built here by hand.

The same file runs on CPython 3.13 (its cp313 wheels) and on pyfacade (cp314).
"""
import base64
import hashlib
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MAJOR, MINOR = sys.version_info[:2]
WHEELHOUSE = ROOT / "build" / f"wheelhouse-cp{MAJOR}{MINOR}"
SEEDS = {"rpds-py": "2026.9.1", "jiter": "0.19.0", "blake3": "1.0.11"}


def clean_env(**extra):
    """The environment of a user's shell: none of the test run's paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    env.update(extra)
    return env


def run(cmd, cwd, env=None, check=True):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"{cmd} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(dest, name, version, files, requires=(), entry_points=None, tag="py3-none-any"):
    """A wheel (PEP 427) with `files` ({path: bytes or str}) and metadata."""
    dist = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    contents = dict(files)
    contents[f"{dist}/METADATA"] = meta
    pure = "true" if tag.endswith("-none-any") else "false"
    contents[f"{dist}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: pyfacade-tests\nRoot-Is-Purelib: {pure}\nTag: {tag}\n"
    if entry_points:
        contents[f"{dist}/entry_points.txt"] = entry_points
    data = {k: (v.encode() if isinstance(v, str) else v) for k, v in contents.items()}
    path = pathlib.Path(dest) / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as z:
        for k, v in data.items():
            z.writestr(k, v)
        z.writestr(f"{dist}/RECORD", "".join(record_line(k, v) + "\n" for k, v in data.items()) + f"{dist}/RECORD,,\n")
    return path


def expected_tags(glibc_minor):
    """The compatible tags CPython MAJOR.MINOR lists on manylinux x86_64 with
    glibc 2.`glibc_minor`, written out from the rules of packaging.tags
    (cpython_tags, then compatible_tags) and PEP 600 / 599 / 571 / 513."""
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    plats = []
    for minor in range(glibc_minor, 4, -1):
        plats.append(f"manylinux_2_{minor}_x86_64")
        if minor in legacy:
            plats.append(f"{legacy[minor]}_x86_64")
    plats.append("linux_x86_64")
    cp = f"cp{MAJOR}{MINOR}"
    tags = [f"{cp}-{abi}-{p}" for abi in (cp, "abi3", "none") for p in plats]
    tags += [f"cp{MAJOR}{m}-abi3-{p}" for m in range(MINOR - 1, 1, -1) for p in plats]
    py = [f"py{MAJOR}{MINOR}", f"py{MAJOR}"] + [f"py{MAJOR}{m}" for m in range(MINOR - 1, -1, -1)]
    tags += [f"{v}-none-{p}" for v in py for p in plats]
    tags += [f"{cp}-none-any"] + [f"{v}-none-any" for v in py]
    return tags


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    assert WHEELHOUSE.is_dir(), f"{WHEELHOUSE} is missing: run ci/fetch-wheels.sh"
    return tmp_path_factory.mktemp("installing")


@pytest.fixture(scope="module")
def local_index(work):
    """Wheels and an sdist built here: a pure-Python package with a dependency
    and a console script, a wheel whose extension cannot load, a flit sdist."""
    d = work / "index"
    d.mkdir()
    build_wheel(d, "facadedep", "1.0", {"facadedep/__init__.py": "VALUE = 'dep-1.0'\n"})
    demo = (
        "import sys, facadedep\n"
        "def main():\n"
        "    print(sys.prefix, sys.implementation.name, facadedep.VALUE)\n"
        "    return 0\n"
    )
    build_wheel(d, "facadedemo", "2.0", {"facadedemo/__init__.py": demo}, requires=["facadedep>=1.0"],
                entry_points="[console_scripts]\nfacadedemo = facadedemo:main\n")
    ext = ROOT / "build" / "ext" / f"brokenext.cpython-{MAJOR}{MINOR}-x86_64-linux-gnu.so"
    assert ext.is_file(), f"{ext} is missing: run ci/build-ext.sh"
    cp = f"cp{MAJOR}{MINOR}"
    build_wheel(d, "brokenext", "1.0", {ext.name: ext.read_bytes()}, tag=f"{cp}-{cp}-linux_x86_64")
    # An sdist built by flit_core (from the wheelhouse) in pip's isolated build environment.
    src = work / "facadesdist-3.0"
    (src / "facadesdist").mkdir(parents=True)
    (src / "facadesdist" / "__init__.py").write_text('"""Built from an sdist."""\n__version__ = "3.0"\n')
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["flit_core>=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n'
        '[project]\nname = "facadesdist"\nversion = "3.0"\ndescription = "sdist test"\n'
    )
    (src / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: facadesdist\nVersion: 3.0\n")
    import tarfile
    with tarfile.open(d / "facadesdist-3.0.tar.gz", "w:gz") as t:
        t.add(src, arcname="facadesdist-3.0")
    # A PyO3 extension's sdist, built by maturin (from the wheelhouse).
    with tarfile.open(d / "facadepyo3-0.1.0.tar.gz", "w:gz") as t:
        t.add(ROOT / "tests" / "sdist" / "facadepyo3", arcname="facadepyo3-0.1.0")
        info = tarfile.TarInfo("facadepyo3-0.1.0/PKG-INFO")
        meta = b"Metadata-Version: 2.1\nName: facadepyo3\nVersion: 0.1.0\n"
        info.size = len(meta)
        import io
        t.addfile(info, io.BytesIO(meta))
    return d


@pytest.fixture(scope="module")
def venv(work):
    """`python -m venv DIR` (pip bootstrapped by ensurepip)."""
    d = work / "venv"
    run([sys.executable, "-m", "venv", d], cwd=work)
    return d


def pip(venv, *args, local_index=None, check=True):
    links = ["--find-links", WHEELHOUSE] + (["--find-links", local_index] if local_index else [])
    cmd = [venv / "bin" / "python", "-m", "pip", *args]
    if args[0] in ("install", "download", "wheel"):
        cmd[4:4] = ["--no-index", "--no-cache-dir", *links]
    return run(cmd, cwd=venv.parent, check=check)


def py(venv, code, check=True):
    return run([venv / "bin" / "python", "-c", code], cwd=venv.parent, check=check)


def test_venv_layout(venv):
    out = py(venv, "import sys, sysconfig, site; print(repr((sys.prefix, sys.base_prefix, sys.executable, "
                   "sys.implementation.name, sysconfig.get_path('purelib'), site.getsitepackages(), sys.path)))")
    prefix, base_prefix, executable, impl, purelib, sitepackages, path = eval(out.stdout)
    assert prefix == str(venv)
    assert base_prefix == sys.base_prefix
    assert executable == str(venv / "bin" / "python")
    assert impl == sys.implementation.name
    assert purelib.startswith(str(venv / "lib") + "/") and purelib.endswith("/site-packages")
    assert sitepackages == [purelib] and purelib in path
    assert (pathlib.Path(purelib) / "pip").is_dir(), "ensurepip installed pip into the venv"


def test_activated_venv_python_is_this_interpreter(venv):
    script = f". {venv}/bin/activate && python -c 'import sys; print(sys.prefix, sys.implementation.name)' && command -v python"
    out = run(["bash", "-c", script], cwd=venv.parent).stdout.split()
    assert out == [str(venv), sys.implementation.name, str(venv / "bin" / "python")]


def test_base_prefix_has_site_packages_layout():
    import site
    import sysconfig
    # The prefix is the install root: the directory above bin/, or the binary's own directory.
    exe_dir = pathlib.Path(os.path.realpath(sys.executable)).parent
    assert sys.base_prefix == str(exe_dir.parent if exe_dir.name == "bin" else exe_dir)
    purelib = sysconfig.get_path("purelib", vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
    assert purelib.startswith(sys.base_prefix + "/lib/") and purelib.endswith("/site-packages")
    assert site.getsitepackages([sys.base_prefix]) == [purelib]
    assert sysconfig.get_config_var("Py_GIL_DISABLED") in (0, None)
    assert sysconfig.get_config_var("abi_thread") == ""


def test_pip_lists_cpython_tags(venv):
    out = run(["getconf", "GNU_LIBC_VERSION"], cwd=venv.parent).stdout.split()
    assert out[0] == "glibc"
    glibc_major, glibc_minor = map(int, out[1].split(".")[:2])
    assert glibc_major == 2
    lines = pip(venv, "debug", "--verbose").stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Compatible tags:"))
    tags = [line.strip() for line in lines[start + 1:] if line.startswith("  ")]
    assert tags == expected_tags(glibc_minor)


def test_install_seed_wheels_and_use_them(venv):
    pip(venv, "install", *(f"{n}=={v}" for n, v in SEEDS.items()))
    out = py(venv, "import rpds, jiter, blake3\n"
                   "print(sorted(rpds.HashTrieMap({'a': 1}).insert('b', 2).items()))\n"
                   "print(jiter.from_json(b'{\"k\": [1, 2.5, null]}'))\n"
                   "print(blake3.blake3(b'abc').hexdigest())")
    assert out.stdout.splitlines() == [
        "[('a', 1), ('b', 2)]",
        "{'k': [1, 2.5, None]}",
        "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",  # BLAKE3 test vector
    ]
    listed = pip(venv, "list", "--format=freeze").stdout.split()
    for n, v in SEEDS.items():
        assert f"{n}=={v}" in listed
    show = pip(venv, "show", "jiter").stdout
    assert "Name: jiter" in show and f"Version: {SEEDS['jiter']}" in show
    versions = py(venv, "import importlib.metadata as m; print([m.version(n) for n in ('rpds-py', 'jiter', 'blake3')])")
    assert eval(versions.stdout) == list(SEEDS.values())


def test_pure_python_wheel_with_dependency_and_console_script(venv, local_index):
    out = pip(venv, "install", "facadedemo", local_index=local_index).stdout
    assert "facadedep-1.0" in out and "facadedemo-2.0" in out
    script = venv / "bin" / "facadedemo"
    assert script.read_text().splitlines()[0] == f"#!{venv / 'bin' / 'python'}"
    r = run([script], cwd=venv.parent)
    assert r.stdout.split() == [str(venv), sys.implementation.name, "dep-1.0"]


def test_uninstall(venv, local_index):
    pip(venv, "install", "facadedemo", local_index=local_index)
    pip(venv, "uninstall", "--yes", "facadedemo", "facadedep")
    assert not (venv / "bin" / "facadedemo").exists()
    r = py(venv, "import facadedemo", check=False)
    assert r.returncode == 1 and "No module named 'facadedemo'" in r.stderr
    assert pip(venv, "show", "facadedep", check=False).returncode != 0


def test_sdist_builds_in_isolated_environment(venv, local_index):
    pip(venv, "install", "--no-binary", "facadesdist", "facadesdist", local_index=local_index)
    out = py(venv, "import facadesdist, importlib.metadata as m; print(facadesdist.__doc__, m.version('facadesdist'))")
    assert out.stdout.split() == ["Built", "from", "an", "sdist.", "3.0"]


def test_pyo3_sdist_compiles_to_a_wheel_for_this_interpreter(venv, local_index):
    """maturin builds the extension (offline: the crates are in cargo's cache
    from ci/build-ext.sh) into a wheel tagged for this interpreter, which imports."""
    env = clean_env(CARGO_NET_OFFLINE="true", CARGO_TARGET_DIR=str(ROOT / "build" / f"sdist-target-cp{MAJOR}{MINOR}"))
    cmd = [venv / "bin" / "python", "-m", "pip", "install", "-v", "--no-index", "--no-cache-dir", "--find-links", WHEELHOUSE,
           "--find-links", local_index, "--no-binary", "facadepyo3", "facadepyo3"]
    out = run(cmd, cwd=venv.parent, env=env).stdout
    assert f"facadepyo3-0.1.0-cp{MAJOR}{MINOR}-cp{MAJOR}{MINOR}-" in out, out
    r = py(venv, "import facadepyo3; print(facadepyo3.total([1, 2, 39]))")
    assert r.stdout.strip() == f"(42, {sys.implementation.name!r})"


def test_wheel_whose_extension_cannot_load_fails_at_import(venv, local_index):
    pip(venv, "install", "brokenext", local_index=local_index)
    r = py(venv, "import brokenext", check=False)
    assert r.returncode == 1
    assert "ImportError" in r.stderr and "PyFacade_NoSuchSymbol" in r.stderr


def test_pth_files_are_processed(venv, work):
    purelib = py(venv, "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    extra = work / "pth-dir"
    extra.mkdir()
    (extra / "from_pth.py").write_text("X = 'via .pth'\n")
    (pathlib.Path(purelib) / "facade-test.pth").write_text(f"{extra}\nimport sys; sys.from_pth_ran = True\n")
    out = py(venv, "import sys, from_pth; print(from_pth.X, sys.from_pth_ran)")
    assert out.stdout.strip() == "via .pth True"


def test_user_install(work, local_index):
    """`--user` installs go to the user site-packages `site` adds."""
    base = work / "userbase"
    env = clean_env(PYTHONUSERBASE=str(base))
    run([sys.executable, "-m", "ensurepip", "--user"], cwd=work, env=env)
    run([sys.executable, "-m", "pip", "install", "--user", "--no-index", "--find-links", local_index, "facadedep"], cwd=work, env=env)
    out = run([sys.executable, "-c", "import facadedep, site; print(facadedep.__file__, site.getusersitepackages())"], cwd=work, env=env)
    where, user_site = out.stdout.split()
    assert user_site.startswith(str(base) + "/lib/") and where == f"{user_site}/facadedep/__init__.py"
