# How pyfacade presents itself to installers (run once per interpreter by
# import/mod.rs, after the extension-import bootstrap, before `site`).
#
# 1. sys.prefix & co.: the install root of the pyfacade binary or
#    libpyfacade.so (import/pathconfig.rs) instead of RustPython's fallback
#    /usr/local; a virtual environment keeps the prefix from its pyvenv.cfg.
# 2. sysconfig: the C-API is CPython 3.14's default (GIL) build, so the
#    build-time variables say so (EXT_SUFFIX, SOABI, Py_GIL_DISABLED=0, no 't'
#    ABI flag) — RustPython's say free-threaded `rustpython313`.
# 3. Two small adaptations applied when a module is imported, so that pip
#    and packaging install CPython wheels while sys.implementation.name stays
#    'rustpython':
#    - `packaging.tags` (pip's, setuptools', wheel's vendored copies or the
#      standalone package): interpreter_name() is 'cp', so the compatible
#      tags are CPython 3.14's (cp314-cp314-manylinux_*, cp3X-abi3-*, ...).
#    - `ensurepip`: the pip wheel RustPython bundles is not in its frozen
#      standard library; the facade embeds it and hands ensurepip a copy.
#    - the PyO3 build backends `maturin` and `setuptools_rust`: PyO3 asks the
#      interpreter what it is and does not build for 'rustpython'; unless the
#      user set PYO3_CONFIG_FILE, the build gets one saying what the facade
#      runs (CPython 3.14's ABI, not linked to libpython, as a wheel), so
#      `pip install` of a PyO3 sdist compiles a cp314 wheel.
import sys, _pyfacade


def _apply_prefix():
    root = _pyfacade.install_root()
    if not root:
        return
    # RustPython's fallback prefix, and the sys.path entries it derived.
    old = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    derived = {f'{p}/lib/python{sys.version_info[0]}{sys.version_info[1]}.zip' for p in old}
    derived |= {f'{p}/lib/python{sys.version_info[0]}.{sys.version_info[1]}' for p in old}
    derived |= {f'{p}/lib-dynload' for p in derived}
    in_venv = sys.prefix != sys.base_prefix
    sys.base_prefix = sys.base_exec_prefix = root
    if in_venv:
        sys._base_executable = _pyfacade.facade_file()
    else:
        sys.prefix = sys.exec_prefix = root
    for i, p in enumerate(sys.path):
        if p in derived:
            tail = p.rsplit('/lib/', 1)[1]
            sys.path[i] = f'{root}/lib/{tail}'


def _apply_sysconfig():
    multiarch = getattr(sys.implementation, '_multiarch', '')
    name = f'_sysconfigdata_{sys.abiflags}_{sys.platform}_{multiarch}'
    data = __import__(name)
    v = data.build_time_vars
    v['EXT_SUFFIX'] = _pyfacade.EXTENSION_SUFFIXES[0]
    v['SOABI'] = 'cpython-314-x86_64-linux-gnu'
    v['Py_GIL_DISABLED'] = 0
    v['ABIFLAGS'] = ''
    v['prefix'] = sys.base_prefix
    v['exec_prefix'] = sys.base_exec_prefix
    v['BINDIR'] = sys.base_exec_prefix + '/bin'
    # CPython's default time-zone search path (zoneinfo reads it from here).
    v.setdefault('TZPATH', '/usr/share/zoneinfo:/usr/lib/zoneinfo:/usr/share/lib/zoneinfo:/etc/zoneinfo')
    sys.abiflags = ''
    sys.modules[f'_sysconfigdata__{sys.platform}_{multiarch}'] = data
    sc = sys.modules.get('sysconfig')
    if sc is not None:
        # Computed from the old values: computed again on next use.
        with sc._CONFIG_VARS_LOCK:
            sc._CONFIG_VARS = None
            sc._CONFIG_VARS_INITIALIZED = False


def _fix_tags(m):
    def interpreter_name():
        """'cp': pyfacade runs CPython 3.14 (cp314, abi3) extension wheels."""
        return 'cp'
    m.interpreter_name = interpreter_name


def _fix_ensurepip(m):
    find_alternative = m._find_wheel_pkg_dir_pip

    def _get_pip_whl_path_ctx():
        alternative = find_alternative()
        if alternative is not None:
            return alternative
        return _bundled_pip()
    m._get_pip_whl_path_ctx = _get_pip_whl_path_ctx


PYO3_CONFIG = """\
implementation=CPython
version=3.14
shared=true
abi3=false
pointer_width=64
build_flags=
suppress_build_script_link_lines=true
"""


def _fix_pyo3_backend(m):
    import os
    if os.environ.get('PYO3_CONFIG_FILE'):
        return
    import tempfile
    path = os.path.join(tempfile.gettempdir(), f'pyfacade-{os.getuid()}-pyo3-cp314.txt')
    try:
        with open(path) as f:
            current = f.read()
    except OSError:
        current = None
    if current != PYO3_CONFIG:
        tmp = f'{path}.{os.getpid()}'
        with open(tmp, 'w') as f:
            f.write(PYO3_CONFIG)
        os.replace(tmp, path)
    os.environ['PYO3_CONFIG_FILE'] = path


class _bundled_pip:
    """The embedded pip wheel as a file, for as long as the context lasts."""

    def __enter__(self):
        import os, pathlib, tempfile
        name, data = _pyfacade.bundled_pip()
        self._dir = tempfile.mkdtemp(prefix='pyfacade-pip-')
        path = pathlib.Path(self._dir, name)
        path.write_bytes(data)
        return path

    def __exit__(self, *exc):
        import shutil
        shutil.rmtree(self._dir, ignore_errors=True)


def _fix_for(name):
    if name == 'packaging.tags' or name.endswith('.packaging.tags'):
        return _fix_tags
    if name == 'ensurepip':
        return _fix_ensurepip
    if name in ('maturin', 'setuptools_rust'):
        return _fix_pyo3_backend
    return None


class _AdaptingLoader:
    """Runs the wrapped loader, then the module's adaptation."""

    def __init__(self, loader, fix):
        self._loader, self._fix = loader, fix

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._fix(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _Adaptations:
    """Meta path entry that finds nothing itself: it wraps the loader of the
    modules above (found by the finders after it) to adapt them once loaded."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        fix = _fix_for(name)
        if fix is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, 'find_spec', None)
            if finder is cls or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, 'exec_module'):
            return spec
        spec.loader = _AdaptingLoader(spec.loader, fix)
        return spec


_apply_prefix()
_apply_sysconfig()
sys.meta_path.insert(0, _Adaptations)
