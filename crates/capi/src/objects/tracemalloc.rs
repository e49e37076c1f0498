//! `tracemalloc.h` and the `_tracemalloc` module, which RustPython lacks
//! (`import tracemalloc` failed without it). While tracing, the blocks C
//! allocates through the C-API's allocators (`PyMem_*`, `PyObject_Malloc`
//! and friends, all three domains) and those it reports with
//! `PyTraceMalloc_Track` are traced, with the Python frames that were
//! running: `tracemalloc.get_traced_memory()` and snapshots measure what
//! extensions allocate. RustPython's own objects are not traced (their
//! memory is not allocated through these functions), so
//! `tracemalloc.get_object_traceback()` is always None.

use parking_lot::Mutex;
use rustpython_vm::function::{FuncArgs, OptionalArg};
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use std::collections::HashMap;
use std::ffi::c_int;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether allocations are being traced (one load per allocation when not).
static TRACING: AtomicBool = AtomicBool::new(false);

/// A traced block: its size and the frames running when it was allocated,
/// most recent first, as `(filename, lineno)`.
struct Trace {
    size: usize,
    frames: Arc<[(String, u32)]>,
}

#[derive(Default)]
struct State {
    /// Frames kept per trace (`tracemalloc.start(nframe)`).
    nframe: usize,
    /// `(domain, address)` -> trace.
    traces: HashMap<(u32, usize), Trace>,
    current: usize,
    peak: usize,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// The C-API allocators' domain in traces (CPython's `DEFAULT_DOMAIN`).
const DEFAULT_DOMAIN: u32 = 0;

/// Whether allocations are being traced now.
pub(crate) fn tracing() -> bool {
    TRACING.load(Ordering::Relaxed)
}

/// The Python frames running on this thread, most recent first, at most
/// `n`; `<unknown>` when none runs here (as CPython reports).
fn frames(n: usize) -> Arc<[(String, u32)]> {
    let mut out = Vec::new();
    rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        let mut f: Option<PyObjectRef> = vm.current_frame().map(|f| f.to_owned().into());
        while let Some(frame) = f.take().filter(|_| out.len() < n) {
            let file = frame.get_attr("f_code", vm).and_then(|c| c.get_attr("co_filename", vm)).ok();
            let line = frame.get_attr("f_lineno", vm).ok().and_then(|l| l.try_into_value::<u32>(vm).ok());
            out.push((file.and_then(|s| s.str(vm).ok()).map_or_else(|| "<unknown>".to_owned(), |s| s.to_string()), line.unwrap_or(0)));
            f = frame.get_attr("f_back", vm).ok().filter(|b| !vm.is_none(b));
        }
    });
    if out.is_empty() {
        out.push(("<unknown>".to_owned(), 0));
    }
    out.into()
}

/// Records a block of `size` bytes at `ptr` in `domain` (while tracing).
pub(crate) fn track(domain: u32, ptr: usize, size: usize) {
    if !tracing() || ptr == 0 {
        return;
    }
    let n = STATE.lock().as_ref().map_or(1, |s| s.nframe);
    let frames = frames(n);
    let mut g = STATE.lock();
    let Some(s) = g.as_mut() else { return };
    if let Some(old) = s.traces.insert((domain, ptr), Trace { size, frames }) {
        s.current -= old.size;
    }
    s.current += size;
    s.peak = s.peak.max(s.current);
}

/// Forgets the block at `ptr` in `domain` (freed or reallocated).
pub(crate) fn untrack(domain: u32, ptr: usize) {
    if !tracing() || ptr == 0 {
        return;
    }
    if let Some(s) = STATE.lock().as_mut() {
        if let Some(old) = s.traces.remove(&(domain, ptr)) {
            s.current -= old.size;
        }
    }
}

/// A block of the C-API allocators was allocated.
pub(crate) fn allocated(ptr: *mut std::ffi::c_void, size: usize) {
    track(DEFAULT_DOMAIN, ptr as usize, size);
}

/// A block of the C-API allocators is being freed.
pub(crate) fn freed(ptr: *mut std::ffi::c_void) {
    untrack(DEFAULT_DOMAIN, ptr as usize);
}

/// Tracks an allocation of `size` bytes at `ptr` in `domain`: 0, or -2 while
/// tracemalloc is not tracing.
#[unsafe(no_mangle)]
pub extern "C" fn PyTraceMalloc_Track(domain: u32, ptr: usize, size: usize) -> c_int {
    if !tracing() {
        return -2;
    }
    track(domain, ptr, size);
    0
}

/// Forgets the allocation at `ptr` in `domain`: 0, or -2 while not tracing.
#[unsafe(no_mangle)]
pub extern "C" fn PyTraceMalloc_Untrack(domain: u32, ptr: usize) -> c_int {
    if !tracing() {
        return -2;
    }
    untrack(domain, ptr);
    0
}

// ---- the `_tracemalloc` module -------------------------------------------------------------

fn start(nframe: OptionalArg<i64>, vm: &VirtualMachine) -> PyResult<()> {
    let n = nframe.unwrap_or(1);
    if !(1..=65535).contains(&n) {
        return Err(vm.new_value_error("the number of frames must be in range [1; 65535]"));
    }
    let mut g = STATE.lock();
    let s = g.get_or_insert_with(State::default);
    s.nframe = n as usize;
    TRACING.store(true, Ordering::Relaxed);
    Ok(())
}

fn stop() {
    TRACING.store(false, Ordering::Relaxed);
    *STATE.lock() = None;
}

fn clear_traces() {
    if let Some(s) = STATE.lock().as_mut() {
        s.traces.clear();
        s.current = 0;
        s.peak = 0;
    }
}

fn get_traced_memory() -> (usize, usize) {
    STATE.lock().as_ref().filter(|_| tracing()).map_or((0, 0), |s| (s.current, s.peak))
}

fn reset_peak() {
    if let Some(s) = STATE.lock().as_mut() {
        s.peak = s.current;
    }
}

fn get_traceback_limit() -> usize {
    STATE.lock().as_ref().map_or(1, |s| s.nframe)
}

/// Memory the traces themselves use (an estimate: entries and frames).
fn get_tracemalloc_memory() -> usize {
    STATE.lock().as_ref().map_or(0, |s| {
        s.traces.len() * (size_of::<(u32, usize)>() + size_of::<Trace>())
            + s.traces.values().map(|t| t.frames.iter().map(|(f, _)| f.len() + 8).sum::<usize>()).sum::<usize>()
    })
}

/// `[(domain, size, ((filename, lineno), ...), total_nframe), ...]`, frames
/// most recent first (what `tracemalloc.Snapshot` reads).
fn get_traces(vm: &VirtualMachine) -> PyObjectRef {
    let g = STATE.lock();
    let items: Vec<PyObjectRef> = g.as_ref().filter(|_| tracing()).map_or_else(Vec::new, |s| {
        s.traces
            .iter()
            .map(|(&(domain, _), t)| {
                let frames: Vec<PyObjectRef> =
                    t.frames.iter().map(|(f, l)| vm.ctx.new_tuple(vec![vm.ctx.new_str(f.as_str()).into(), vm.ctx.new_int(*l).into()]).into()).collect();
                let total = frames.len();
                vm.ctx
                    .new_tuple(vec![vm.ctx.new_int(domain).into(), vm.ctx.new_int(t.size).into(), vm.ctx.new_tuple(frames).into(), vm.ctx.new_int(total).into()])
                    .into()
            })
            .collect()
    });
    vm.ctx.new_list(items).into()
}

/// Makes the `_tracemalloc` module (registered in `sys.modules`).
pub fn make_module(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    let m: PyObjectRef = vm.new_module("_tracemalloc", vm.ctx.new_dict(), None).into();
    m.set_attr("is_tracing", vm.new_function("is_tracing", |_a: FuncArgs| tracing()), vm)?;
    m.set_attr("start", vm.new_function("start", start), vm)?;
    m.set_attr("stop", vm.new_function("stop", |_a: FuncArgs| stop()), vm)?;
    m.set_attr("clear_traces", vm.new_function("clear_traces", |_a: FuncArgs| clear_traces()), vm)?;
    m.set_attr("get_traced_memory", vm.new_function("get_traced_memory", |_a: FuncArgs| get_traced_memory()), vm)?;
    m.set_attr("reset_peak", vm.new_function("reset_peak", |_a: FuncArgs| reset_peak()), vm)?;
    m.set_attr("get_traceback_limit", vm.new_function("get_traceback_limit", |_a: FuncArgs| get_traceback_limit()), vm)?;
    m.set_attr("get_tracemalloc_memory", vm.new_function("get_tracemalloc_memory", |_a: FuncArgs| get_tracemalloc_memory()), vm)?;
    m.set_attr("_get_traces", vm.new_function("_get_traces", |vm: &VirtualMachine| get_traces(vm)), vm)?;
    // RustPython's objects are not allocated through the traced allocators.
    m.set_attr("_get_object_traceback", vm.new_function("_get_object_traceback", |_o: PyObjectRef, vm: &VirtualMachine| vm.ctx.none()), vm)?;
    Ok(m)
}
