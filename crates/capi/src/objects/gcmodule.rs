//! `objimpl.h`: `PyGC_*`, `PyObject_GC_Is*`, `PyUnstable_GC_VisitObjects`
//! and `PyUnstable_Object_GC_NewWithExtraData`, on RustPython's collector.

use std::ffi::{c_int, c_void};

use super::{cbool, rp};
use crate::abi::{PyObject, PyTypeObject};
use crate::bridge;
use crate::runtime::{api, api_noerr, errors};

/// Switches automatic collection on or off; returns the previous state (0/1).
fn set_enabled(name: &str, on: bool) -> c_int {
    api_noerr(name, 0, |vm| {
        let was = vm.state.gc.is_enabled();
        if on { vm.state.gc.enable() } else { vm.state.gc.disable() }
        cbool(was)
    })
}

/// Enables automatic collection; returns the previous state (0/1).
#[unsafe(no_mangle)]
pub extern "C" fn PyGC_Enable() -> c_int {
    set_enabled("PyGC_Enable", true)
}

/// Disables automatic collection; returns the previous state (0/1).
#[unsafe(no_mangle)]
pub extern "C" fn PyGC_Disable() -> c_int {
    set_enabled("PyGC_Disable", false)
}

/// 1 if automatic collection is enabled.
#[unsafe(no_mangle)]
pub extern "C" fn PyGC_IsEnabled() -> c_int {
    api_noerr("PyGC_IsEnabled", 0, |vm| cbool(vm.state.gc.is_enabled()))
}

/// Runs a full collection (`gc.collect()`) and returns the number of
/// unreachable objects found; 0 without collecting when the collector is
/// disabled. Never raises: a pending exception is kept, one raised by a
/// finaliser or callback is reported as unraisable.
#[unsafe(no_mangle)]
pub extern "C" fn PyGC_Collect() -> isize {
    api_noerr("PyGC_Collect", 0, |vm| {
        if !vm.state.gc.is_enabled() {
            return 0;
        }
        let saved = errors::take();
        let r = super::py(vm, || vm.import("gc", 0).and_then(|gc| vm.call_method(&gc, "collect", ())));
        let n = match r {
            Ok(n) => n.try_to_value::<isize>(vm).unwrap_or(0),
            Err(e) => {
                vm.run_unraisable(e, Some("Exception ignored in garbage collection".to_owned()), vm.ctx.none());
                0
            }
        };
        errors::restore(saved);
        n
    })
}

/// 1 if the collector tracks `op` (`gc.is_tracked`).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GC_IsTracked(op: *mut PyObject) -> c_int {
    if !op.is_null() && bridge::is_native(op) {
        return cbool(bridge::native::is_tracked(op));
    }
    api("PyObject_GC_IsTracked", |vm| Ok(cbool(rp(vm, op)?.is_gc_tracked())))
}

/// 1 if the collector already ran `op`'s finaliser (`gc.is_finalized`).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GC_IsFinalized(op: *mut PyObject) -> c_int {
    api("PyObject_GC_IsFinalized", |vm| Ok(cbool(rp(vm, op)?.gc_finalized())))
}

/// `gcvisitobjects_t`: 0 stops the visit.
type VisitFn = unsafe extern "C" fn(*mut PyObject, *mut c_void) -> c_int;

/// Calls `callback(obj, arg)` for every object the collector tracks
/// (borrowed for the duration of the call) until it returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_GC_VisitObjects(callback: VisitFn, arg: *mut c_void) {
    api_noerr("PyUnstable_GC_VisitObjects", (), |vm| {
        // The visitor sees every tracked object: hidden dicts included.
        let _exposed = bridge::hidden::Exposed::new();
        for o in vm.state.gc.get_objects(None) {
            let p = bridge::to_c(vm, &o);
            // SAFETY: the extension's visitor with a live object.
            let go_on = unsafe { callback(p, arg) };
            // SAFETY: our reference.
            unsafe { bridge::decref(p) };
            if go_on == 0 {
                break;
            }
        }
    })
}

/// New instance of the GC type `tp` with `extra_size` zeroed bytes after
/// its `tp_basicsize` (CPython's layout); NULL with `MemoryError`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnstable_Object_GC_NewWithExtraData(tp: *mut PyTypeObject, extra_size: usize) -> *mut PyObject {
    api("PyUnstable_Object_GC_NewWithExtraData", |vm| {
        // SAFETY: C passes a valid type.
        let basic = unsafe { (*tp).tp_basicsize.max(16) as usize };
        let size = basic.checked_add(extra_size).filter(|&s| s <= isize::MAX as usize).ok_or_else(|| vm.new_memory_error(""))?;
        Ok(bridge::alloc(size, bridge::Kind::Native, tp, None))
    })
}
