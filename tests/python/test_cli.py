"""The command line behaves like `python` (run on both interpreters)."""
import os
import subprocess
import sys
import sysconfig
import textwrap

import pytest


def run(*args, stdin=None, env=None, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(
        [sys.executable, *args], input=stdin, capture_output=True, text=True, env=e, cwd=cwd, timeout=120
    )


def test_command_and_argv():
    r = run("-c", "import sys; print(sys.argv)", "a", "b")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['-c', 'a', 'b']"


def test_no_site_flag():
    r = run("-S", "-c", "import sys; print('site' in sys.modules, sys.flags.no_site)")
    assert r.stdout.split() == ["False", "1"], r.stderr
    r = run("-c", "import sys; print('site' in sys.modules, sys.flags.no_site)")
    assert r.stdout.split() == ["True", "0"], r.stderr


def test_exit_codes():
    assert run("-c", "raise SystemExit(3)").returncode == 3
    assert run("-c", "import sys; sys.exit(0)").returncode == 0
    r = run("-c", "raise SystemExit('bye')")
    assert r.returncode == 1 and r.stderr.strip() == "bye"


def test_uncaught_exception_traceback():
    r = run("-c", "def f():\n    1/0\nf()")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == "ZeroDivisionError: division by zero"
    assert any('line 2, in f' in l for l in lines)


def test_script(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("import sys, os\nprint(sys.argv)\nprint(sys.path[0] == os.path.dirname(os.path.abspath(__file__)))\n")
    r = run(str(script), "x", "--y")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [str([str(script), "x", "--y"]), "True"]


def test_missing_script(tmp_path):
    r = run(str(tmp_path / "nope.py"))
    assert r.returncode == 2
    assert "can't open file" in r.stderr


def test_module_and_pythonpath(tmp_path):
    pkg = tmp_path / "clipkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tool.py").write_text("import sys\nif __name__ == '__main__':\n    print(__name__, sys.argv[1:])\n")
    r = run("-m", "clipkg.tool", "p", "q", env={"PYTHONPATH": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "__main__ ['p', 'q']"


def test_stdin_script():
    r = run(stdin="import sys\nprint(6 * 7, sys.argv)\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42 ['']"


def test_subprocess_of_sys_executable_imports_extensions():
    code = "import facadetest, sys; print(facadetest.add(1, 2))"
    r = run("-c", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3"


def test_extension_suffixes():
    import importlib.machinery

    v = sys.version_info
    soabi = f"cpython-{v.major}{v.minor}-x86_64-linux-gnu"
    assert sysconfig.get_config_var("SOABI") == soabi
    assert sysconfig.get_config_var("EXT_SUFFIX") == f".{soabi}.so"
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    assert suffixes[0] == f".{soabi}.so"
    assert ".abi3.so" in suffixes and ".so" in suffixes
    # The C-API is the default (GIL) build's: cp314 wheels, not cp314t.
    assert sysconfig.get_config_var("Py_GIL_DISABLED") == 0
    assert sys.abiflags == ""
