//! `cpython/monitoring.h`: the scope calls of the C monitoring API, on
//! RustPython's `sys.monitoring` state.

use std::ffi::c_int;

use crate::abi::Py_ssize_t;
use crate::runtime::api_noerr;

/// `PyMonitoringState`.
#[repr(C)]
pub struct PyMonitoringState {
    active: u8,
    opaque: u8,
}

/// Refreshes `state_array[i].active` (the set of tools listening to
/// `event_types[i]`) unless `*version` is still current; always 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMonitoring_EnterScope(state_array: *mut PyMonitoringState, version: *mut u64, event_types: *const u8, length: Py_ssize_t) -> c_int {
    api_noerr("PyMonitoring_EnterScope", 0, |vm| {
        let tools = vm.state.monitoring.lock().global_events;
        // A version that changes whenever any tool's events change.
        let current = tools.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &e| (h ^ u64::from(e)).wrapping_mul(0x100_0000_01b3)) | 1;
        // SAFETY: C passes a writable version.
        if unsafe { *version } == current {
            return 0;
        }
        for i in 0..length.max(0) as usize {
            // SAFETY: C passes `length` events and states.
            let event = u32::from(unsafe { *event_types.add(i) });
            let active = tools.iter().enumerate().filter(|(_, e)| event < 32 && *e & (1 << event) != 0).fold(0u8, |a, (t, _)| a | (1u8 << (t % 8)));
            // SAFETY: as above.
            unsafe { (*state_array.add(i)).active = active };
        }
        // SAFETY: as above.
        unsafe { *version = current };
        0
    })
}

/// Ends a monitoring scope; always 0.
#[unsafe(no_mangle)]
pub extern "C" fn PyMonitoring_ExitScope() -> c_int {
    0
}
