"""C-API family group 'runtime', exercised through tests/ext/capi_runtime on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both.

Functions CPython 3.14 added are looked up at run time by the probe; on 3.13 the
tests assert that they are absent, on 3.14 (pyfacade) they are exercised."""
import gc
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref

import pytest

import capi_runtime as m

PY314 = sys.version_info >= (3, 14)


def new_in_314(name):
    """True if `name` (a 3.14 addition) is there to test; on 3.13 asserts its absence."""
    present = m.has(name.encode())
    assert present == PY314, name
    return present


def test_loads():
    assert m.ping() is True


# ---- configuration globals ----

def test_flag_globals_reflect_sys_flags():
    f = m.flags()
    fl = sys.flags
    assert f["Py_DebugFlag"] == fl.debug
    assert f["Py_VerboseFlag"] == fl.verbose
    assert f["Py_QuietFlag"] == fl.quiet
    assert f["Py_InteractiveFlag"] == fl.interactive
    assert f["Py_InspectFlag"] == fl.inspect
    assert f["Py_OptimizeFlag"] == fl.optimize
    assert f["Py_NoSiteFlag"] == fl.no_site
    assert f["Py_BytesWarningFlag"] == fl.bytes_warning
    assert f["Py_IgnoreEnvironmentFlag"] == fl.ignore_environment
    assert f["Py_DontWriteBytecodeFlag"] == fl.dont_write_bytecode
    assert f["Py_NoUserSiteDirectory"] == fl.no_user_site
    assert f["Py_HashRandomizationFlag"] == fl.hash_randomization
    assert f["Py_IsolatedFlag"] == fl.isolated
    assert f["Py_UTF8Mode"] == fl.utf8_mode
    assert f["Py_FrozenFlag"] == 0
    assert f["Py_UnbufferedStdioFlag"] == (1 if os.environ.get("PYTHONUNBUFFERED") else 0)
    assert f["Py_FileSystemDefaultEncoding"].decode() == sys.getfilesystemencoding()
    assert f["Py_FileSystemDefaultEncodeErrors"].decode() == sys.getfilesystemencodeerrors()
    assert f["Py_HasFileSystemDefaultEncoding"] == 0


def test_getenv():
    os.environ["CAPI_RUNTIME_ENV"] = "value-1"
    try:
        assert m.getenv(b"CAPI_RUNTIME_ENV") == b"value-1"
    finally:
        del os.environ["CAPI_RUNTIME_ENV"]
    assert m.getenv(b"CAPI_RUNTIME_ENV") is None


def test_build_strings():
    info, compiler, copyright_, platform = m.build_strings()
    assert info and f"({info.decode()})" in sys.version
    assert compiler.startswith(b"[") and compiler.decode() in sys.version
    assert copyright_.decode() == sys.copyright
    assert platform.decode() == sys.platform


def test_pack_version():
    if not new_in_314("Py_PACK_VERSION"):
        return
    assert m.pack_version(3, 14, 0, 0, 0) == (0x030E0000, 0x030E0000)
    assert m.pack_version(3, 4, 1, 0xA, 2) == (0x03040000, 0x030401A2)
    # Each field is masked to its width.
    assert m.pack_version(0x103, 0x104, 0x105, 0x1F, 0x12) == (0x03040000, 0x030405F2)
    assert m.pack_version(*sys.version_info[:2], 0, 0, 0)[0] == (sys.hexversion & 0xFFFF0000)


# ---- PyOS_strtoul / PyOS_strtol / PyOS_snprintf ----

ERANGE = 34


@pytest.mark.parametrize("s,base,expected", [
    (b"  0x1fz", 0, (31, 6, 0)),
    (b"0X1F", 16, (31, 4, 0)),
    (b"1f", 16, (31, 2, 0)),
    (b"0o17", 0, (15, 4, 0)),
    (b"0b101", 0, (5, 5, 0)),
    (b"0b101", 2, (5, 5, 0)),
    (b"0x", 0, (0, 1, 0)),
    (b"0xg", 16, (0, 1, 0)),
    (b"012", 0, (0, 1, 0)),
    (b"000  ", 0, (0, 5, 0)),
    (b"12abc", 10, (12, 2, 0)),
    (b"zz", 36, (35 * 36 + 35, 2, 0)),
    (b"12", 1, (0, 0, 0)),
    (b"12", 37, (0, 0, 0)),
    (b"", 10, (0, 0, 0)),
    (b"18446744073709551615", 10, (2**64 - 1, 20, 0)),
    (b"18446744073709551616!", 10, (2**64 - 1, 20, ERANGE)),
    (b"-5", 10, (0, 0, 0)),
])
def test_strtoul(s, base, expected):
    assert m.strtoul(s, base) == expected


@pytest.mark.parametrize("s,base,expected", [
    (b"  -42xyz", 10, (-42, 5, 0)),
    (b"+0x10", 0, (16, 5, 0)),
    (b"9223372036854775807", 10, (2**63 - 1, 19, 0)),
    (b"-9223372036854775808", 10, (-(2**63), 20, 0)),
    (b"9223372036854775808", 10, (2**63 - 1, 19, ERANGE)),
    (b"-9223372036854775809", 10, (2**63 - 1, 20, ERANGE)),
    (b"-", 10, (0, 1, 0)),
])
def test_strtol(s, base, expected):
    assert m.strtol(s, base) == expected


def test_snprintf_truncates_and_terminates():
    assert m.snprintf(32)[0] == 9
    assert m.snprintf(32)[1].startswith(b"12345-abc\0")
    assert m.snprintf(5) == (9, b"1234\0")
    assert m.snprintf(1) == (9, b"\0")
    assert m.snprintf(10) == (9, b"12345-abc\0")


# ---- time ----

def test_clocks():
    before = (time.monotonic_ns(), time.perf_counter_ns(), time.time_ns())
    mono, mono_raw, perf, perf_raw, wall, wall_raw = m.clocks()
    after = (time.monotonic_ns(), time.perf_counter_ns(), time.time_ns())
    assert before[0] <= mono <= mono_raw <= after[0]
    assert before[1] <= perf <= perf_raw <= after[1]
    slack = 10**6  # time.time_ns() may round differently from clock_gettime
    assert before[2] - slack <= wall <= wall_raw <= after[2] + slack


def test_as_seconds_double():
    assert m.as_seconds(1_500_000_000) == 1.5
    assert m.as_seconds(3_000_000_000) == 3.0
    assert m.as_seconds(-1) == -1e-9
    assert m.as_seconds(2**62) == float(2**62) / 1e9
    assert m.as_seconds(10**18) == 1e9


# ---- GC ----

def test_gc_enable_disable():
    assert gc.isenabled()
    # Disable() -> previous 1; IsEnabled 0; Collect while disabled -> 0;
    # Enable() -> previous 0; IsEnabled 1; Enable() again -> previous 1.
    assert m.gc_toggle() == (1, 0, 0, 0, 1, 1)
    assert gc.isenabled()
    gc.disable()
    try:
        assert m.gc_toggle()[0] == 0
    finally:
        gc.enable()


def test_gc_collect_keeps_pending_exception():
    class Cycle:
        pass
    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    del a, b
    n, still = m.gc_collect()
    assert still is True
    assert n >= 2


def test_gc_is_tracked_and_finalized():
    assert m.gc_is([]) == (1, 0)
    assert m.gc_is(12345678901) == (0, 0)

    class WithDel:
        def __del__(self):
            pass
    assert m.gc_is(WithDel()) == (1, 0)


def test_gc_visit_objects_stops_when_told():
    keep = [[i] for i in range(50)]
    assert m.gc_visit(10) == 10
    assert m.gc_visit(1) == 1
    assert m.gc_visit(10**9) >= len(keep)


def test_gc_new_with_extra_data():
    tp = m.gc_type()
    assert m.gc_new_extra(tp, 64) == (True, True)
    assert m.gc_new_extra(tp, 0) == (True, True)


# ---- PyMutex / PyEvent / critical sections ----

def test_mutex_excludes_native_threads():
    assert m.mutex(4) == (80000, 0)


def test_mutex_is_locked():
    if not new_in_314("PyMutex_IsLocked"):
        return
    assert m.mutex_is_locked() == (0, 1, 1, 0)


def test_mutex_lock_releases_gil_while_blocked():
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)
    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.01)
    try:
        n0 = len(ticks)
        assert m.mutex_blocking() == (1, 0)
        assert len(ticks) > n0
    finally:
        stop.set()
        t.join()


def test_event_wait():
    if not m.has(b"PyEvent_WaitTimed"):
        assert not PY314
        return
    # Set (1): returns at once; unset: times out after the timeout.
    r, _ = m.event(1, 10**9)
    assert r == 1
    r, elapsed = m.event(0, 20_000_000)
    assert r == 0 and elapsed >= 15_000_000
    assert m.event(0, 0)[0] == 0


def test_critical_sections_are_no_ops_with_the_gil():
    assert m.critical([1, 2]) is True


# ---- thread and interpreter states ----

def test_thread_state_accessors():
    info = m.tstate_info()
    assert info == {
        "interp_of_tstate": True, "head_is_main": True, "next_interp_null": True,
        "tstate_listed": True, "id": 1, "dict_same": True,
        "dict_borrowed": True, "dict_is_dict": True, "idict_same": True,
        "gilstate_is_tstate": True,
    }


def test_thread_state_dict_is_per_thread():
    d = m.tstate_dict()
    d["capi_runtime_test"] = 1
    other = []
    t = threading.Thread(target=lambda: other.extend([m.tstate_dict(), m.tstate_info()]))
    t.start()
    t.join()
    try:
        assert m.tstate_dict() is d
        assert "capi_runtime_test" not in other[0]
        assert other[1]["id"] > 1 and other[1]["tstate_listed"] is True
    finally:
        del d["capi_runtime_test"]


def test_thread_state_get_frame():
    def probe_caller():
        return m.current_frame_name()
    assert probe_caller() == "probe_caller"


def test_release_acquire_and_swap():
    # GIL state after ReleaseThread, AcquireThread; Swap(NULL) returns the
    # current state and leaves no GIL; Swap(ts) returns NULL and takes it.
    assert m.release_acquire() == (0, 1, True, 0, True, 1)


def test_swap_to_a_new_thread_state():
    assert m.swap_new() == (True, True, 1, True, True)


def test_new_thread_state_on_native_thread():
    main = threading.get_ident()

    def where():
        return threading.get_ident()
    ident, fresh = m.in_new_tstate(where)
    assert ident != main
    assert fresh is True
    with pytest.raises(ZeroDivisionError):
        m.in_new_tstate(lambda: 1 / 0)


def test_set_async_exc():
    assert m.set_async_exc(0xDEADBEEF, ValueError) == 0
    started = threading.Event()
    caught = []

    def target():
        started.set()
        try:
            for _ in range(2000):
                m.make_pending_calls()
                time.sleep(0.001)
        except KeyError as e:
            caught.append(type(e))
    t = threading.Thread(target=target)
    t.start()
    started.wait()
    assert m.set_async_exc(t.ident, KeyError) == 1
    t.join()
    assert caught == [KeyError]


def test_set_async_exc_on_main_thread():
    main = threading.get_ident()
    t = threading.Thread(target=lambda: m.set_async_exc(main, KeyError))
    with pytest.raises(KeyError):
        t.start()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pass
    t.join()


def test_pending_calls():
    calls = []
    assert m.add_pending(calls, 5, 0) == 5
    assert m.make_pending_calls() == 0
    assert calls == [1] * 5
    # A failing call propagates its exception; the rest run on a later call.
    calls.clear()
    # CPython may run them at once, from its eval loop.
    with pytest.raises(ValueError, match="pending call failed"):
        assert m.add_pending(calls, 2, 1) == 2
        m.make_pending_calls()
    m.make_pending_calls()
    assert calls == [1, 1]


def test_pending_calls_run_from_the_eval_loop():
    calls = []
    assert m.add_pending(calls, 3, 0) == 3
    for _ in range(1000):
        if calls:
            break
    assert calls == [1, 1, 1]


def test_pending_calls_scheduled_from_another_thread():
    calls = []
    t = threading.Thread(target=lambda: m.add_pending(calls, 2, 0))
    t.start()
    t.join()
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        pass
    assert calls == [1, 1]


def test_pending_calls_not_run_off_main_thread():
    calls = []
    # Another OS thread adds a pending call and runs Py_MakePendingCalls
    # while the main thread is parked in C (in_new_tstate: PyEval_SaveThread,
    # pthread_join), so nobody but that thread could run the call: it must not.
    def job():
        m.add_pending(calls, 1, 0)
        return m.make_pending_calls(), list(calls)

    result, _fresh = m.in_new_tstate(job)
    assert result == (0, [])
    m.make_pending_calls()
    assert calls == [1]


def test_pystate_module_table():
    # The single-phase module is recorded under its definition at import.
    assert m.state_module() == (True, 0, True, 0, True, 0)
    with pytest.raises(SystemError, match="PyState_AddModule called on module with slots"):
        m.state_add_slots()


# ---- trace and profile ----

def traced_target():
    x = 1
    return x + 1


def hooked_events(kind):
    """(what, code name) events the C function `kind` saw while traced_target() ran."""
    events = []
    m.hook(kind.encode(), events, 0)
    try:
        traced_target()
    finally:
        m.hook(kind.encode(), None, 0)
        sys.settrace(None)
    return events


@pytest.mark.parametrize("kind", ["profile", "profile_all"])
def test_c_profile_function(kind):
    events = hooked_events(kind)
    assert (0, "traced_target") in events  # PyTrace_CALL
    assert (3, "traced_target") in events  # PyTrace_RETURN
    n = len(events)
    traced_target()
    assert len(events) == n


@pytest.mark.parametrize("kind", ["trace", "trace_all"])
def test_c_trace_function(kind):
    mine = [e for e, name in hooked_events(kind) if name == "traced_target"]
    assert mine[0] == 0  # call
    assert mine.count(2) == 2  # two lines
    assert mine[-1] == 3  # return


def test_c_trace_function_error_propagates():
    def run():
        # CPython traces the installing frame's next line too; the call
        # event of traced_target fails otherwise. Either way run() raises.
        m.hook(b"trace", [], 1)
        traced_target()
    try:
        with pytest.raises(RuntimeError, match="trace function failed"):
            run()
    finally:
        m.hook(b"trace", None, 0)
        sys.settrace(None)


def test_enter_leave_tracing():
    events = []

    def tracer(frame, event, arg):
        events.append((event, frame.f_code.co_name))
    sys.setprofile(tracer)
    try:
        m.untraced(traced_target)
        traced_target()
    finally:
        sys.setprofile(None)
    names = [n for _, n in events]
    assert names.count("traced_target") == 2  # only the call outside the scope


# ---- signals, interrupts, fork hooks, stack ----

def test_getsig_setsig():
    SIG_DFL, SIG_IGN = 0, 1
    old = signal.getsignal(signal.SIGUSR2)
    assert m.sigs(signal.SIGUSR2) == (SIG_DFL, SIG_IGN, SIG_IGN, SIG_DFL)
    assert signal.getsignal(signal.SIGUSR2) == old
    assert m.getsig(0) == -1  # SIG_ERR for an invalid signal


def test_signal_set_wakeup_fd():
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        assert m.set_wakeup_fd(w) == -1
        assert signal.set_wakeup_fd(-1) == w
    finally:
        os.close(r)
        os.close(w)


def test_interrupt_occurred():
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert m.interrupt_occurred() == (0, 1, 0)
    finally:
        signal.signal(signal.SIGINT, old)


def test_fork_hooks_run_register_at_fork_callbacks():
    calls = []
    os.register_at_fork(before=lambda: calls.append("before1"), after_in_parent=lambda: calls.append("parent1"))
    os.register_at_fork(before=lambda: calls.append("before2"), after_in_parent=lambda: calls.append("parent2"))
    m.fork_hooks(b"before")
    m.fork_hooks(b"parent")
    # Other tests' callbacks may be registered too; ours keep CPython's order.
    mine = [c for c in calls if c[-1] in "12"]
    assert mine == ["before2", "before1", "parent1", "parent2"]


def test_c_fork_runs_fork_callbacks():
    calls = []
    os.register_at_fork(before=lambda: calls.append("before"),
                        after_in_parent=lambda: calls.append("parent"),
                        after_in_child=lambda: calls.append("child"))
    r, w = os.pipe()
    pid = m.c_fork()
    if pid == 0:
        try:
            os.write(w, ",".join(c for c in calls if c in ("before", "parent", "child")).encode())
        finally:
            os._exit(0)
    os.close(w)
    out = os.read(r, 100)
    os.close(r)
    os.waitpid(pid, 0)
    assert out == b"before,child"
    assert [c for c in calls if c in ("before", "parent", "child")] == ["before", "parent"]


def test_check_stack():
    if not m.has(b"PyOS_CheckStack"):
        # CPython defines it only where USE_STACKCHECK is (Windows).
        assert not PY314
        return
    assert m.check_stack() == 0


def test_stack_protection():
    if not new_in_314("PyUnstable_ThreadState_SetStackProtection"):
        return
    with pytest.raises(ValueError, match="stack_size must be at least"):
        m.stack_protection(100)
    assert m.stack_protection(1 << 20) == 0


# ---- exit paths (subprocesses) ----

def run_child(code):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_fatal_error_func():
    r = run_child("import capi_runtime as m; m.exit_path(b'fatal_func', 0)")
    assert r.returncode == -signal.SIGABRT
    assert "Fatal Python error: probe_func: boom" in r.stderr


def test_fatal_error():
    r = run_child("import capi_runtime as m; m.exit_path(b'fatal', 0)")
    assert r.returncode == -signal.SIGABRT
    assert "Fatal Python error: plain boom" in r.stderr


def test_py_exit_runs_atexit():
    r = run_child("import atexit, sys, capi_runtime as m\n"
                  "atexit.register(lambda: print('py-atexit-ran', flush=True))\n"
                  "print('before', flush=True)\n"
                  "m.exit_path(b'exit', 7)\n"
                  "print('not reached')")
    assert r.returncode == 7
    assert r.stdout.split() == ["before", "py-atexit-ran"]


def test_py_atexit_and_unstable_atexit():
    r = run_child("import capi_runtime as m\n"
                  "assert m.exit_path(b'atexit', 0) == 0\n"
                  "assert m.exit_path(b'unstable', 0) == 0\n")
    assert r.returncode == 0, r.stderr
    assert "unstable-atexit-ran" in r.stderr
    assert "c-atexit-ran" in r.stderr
    assert r.stderr.index("unstable-atexit-ran") < r.stderr.index("c-atexit-ran")


# ---- files and locale ----

def cps(s):
    return [ord(c) for c in s]


def test_decode_locale():
    assert m.decode_locale(b"abc") == (cps("abc"), 3)
    assert m.decode_locale(b"caf\xc3\xa9") == (cps("caf\xe9"), 4)
    # Undecodable bytes become U+DC80..U+DCFF (surrogateescape).
    assert m.decode_locale(b"x\xffy") == ([0x78, 0xDCFF, 0x79], 3)
    assert m.decode_locale(b"") == ([], 0)


def test_encode_locale():
    assert m.encode_locale(cps("abc"))[0] == b"abc"
    assert m.encode_locale(cps("caf\xe9"))[0] == b"caf\xc3\xa9"
    assert m.encode_locale([0x78, 0xDCFF, 0x79])[0] == b"x\xffy"
    assert m.encode_locale([0x61, 0x62, 0xD800]) == (None, 2)


def test_fopen_fclose(tmp_path):
    if not new_in_314("Py_fopen"):
        return
    p = tmp_path / "out.bin"
    assert m.fopen_write(str(p), b"wb", b"hello\n") == (6, 0, 1)
    assert p.read_bytes() == b"hello\n"
    assert m.fopen_write(os.fsencode(p), b"ab", b"x") == (1, 0, 1)
    assert m.fopen_write(p, b"ab", b"y") == (1, 0, 1)
    assert p.read_bytes() == b"hello\nxy"
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError) as e:
        m.fopen_write(str(missing), b"rb", b"")
    assert e.value.filename == str(missing)
    with pytest.raises(TypeError):
        m.fopen_write(123, b"rb", b"")
    with pytest.raises(ValueError, match="embedded null"):
        m.fopen_write("a\0b", b"rb", b"")


def test_universal_newline_fgets(tmp_path):
    p = tmp_path / "nl.txt"
    p.write_bytes(b"a\r\nb\rc\nlongline\n\rz")
    lines, interactive, refused = m.fgets_all(os.fsencode(p), 100)
    assert lines == [b"a\n", b"b\n", b"c\n", b"longline\n", b"\n", b"z"]
    assert interactive == 0
    assert refused is True
    lines, _, _ = m.fgets_all(os.fsencode(p), 4)
    assert lines == [b"a\n", b"b\n", b"c\n", b"lon", b"gli", b"ne\n", b"\n", b"z"]


def test_readline(tmp_path, capfd):
    p = tmp_path / "in.txt"
    p.write_bytes(b"first line\nsecond\n")
    lines, hook_calls, fp_set = m.readline(os.fsencode(p), b"prompt> ", 3)
    assert lines == [b"first line\n", b"second\n", b""]
    assert hook_calls >= 1
    assert fp_set is True
    assert "prompt> " in capfd.readouterr().err


# ---- reference counts and objects ----

def test_refcount_helpers():
    if not new_in_314("PyUnstable_IsImmortal"):
        return
    obj = object()
    r = m.refcount_helpers(obj)
    assert r == {
        "immortal": 0, "try_incref": 1, "try_incref_delta": 1,
        "unique_arg": 0, "unique_tmp_arg": 0, "deferred": 0,
        "unique_fresh": 1, "unique_fresh_twice": 0, "immortal_none": 1,
    }


def test_clear_weakrefs_no_callbacks():
    class C:
        pass
    o = C()
    called = []
    w = weakref.ref(o, lambda r: called.append(r))
    m.clear_weakrefs(o)
    assert w() is None
    assert called == []
    del o
    gc.collect()
    assert called == []


def test_ref_tracer_get_set():
    assert m.ref_tracer() == (0, True, 0, True)


def test_executable_kinds():
    kinds = m.executable_kinds()
    assert kinds[0] is type(None)
    assert kinds[1] is type(test_executable_kinds.__code__)
    assert kinds[2] is None
    assert kinds[3] is type(m.ping.__call__) or kinds[3].__name__ == "method"
    assert kinds[4] is type(str.join)
    assert kinds[5] is None


def test_tracemalloc_disabled():
    assert m.tracemalloc() == (-2, -2)


def test_monitoring_scope():
    PY_START, CALL = 0, 4
    assert m.monitoring(bytes([PY_START, CALL])) == (0, [0, 0], True, 0, True, 0)
    mon = sys.monitoring
    tool = 4
    mon.use_tool_id(tool, "capi_runtime")
    try:
        mon.set_events(tool, mon.events.PY_START)
        rc, active, *_ = m.monitoring(bytes([PY_START, CALL]))
        assert (rc, active) == (0, [1 << tool, 0])
    finally:
        mon.set_events(tool, 0)
        mon.free_tool_id(tool)


def test_perf_map(tmp_path):
    parent = tmp_path / "perf-parent.map"
    parent.write_text("1000 20 parent_entry\n")
    path = f"/tmp/perf-{os.getpid()}.map"
    existed = os.path.exists(path)
    try:
        assert m.perf_map(os.fsencode(parent)) == (0, 0, 0, 0)
        text = open(path).read()
        assert "abcdef 42 capi_runtime_entry\n" in text
        assert "1000 20 parent_entry\n" in text
    finally:
        if not existed and os.path.exists(path):
            os.unlink(path)


def test_arena_allocator():
    assert m.arena() == (True, True, True)


def test_eval_threads_initialized():
    assert m.eval_misc() == 1
