//! `cpython/ceval.h` perf-map support (`Python/perf_map.c`): the
//! `/tmp/perf-<pid>.map` file that tells `perf` the names of JIT-compiled
//! code, and the perf trampoline (absent: RustPython compiles no native
//! code, so there is nothing to trampoline).

use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
use std::fs::File;
use std::io::Write;

use parking_lot::Mutex;

static MAP: Mutex<Option<File>> = Mutex::new(None);

fn map_path() -> String {
    format!("/tmp/perf-{}.map", std::process::id())
}

/// Opens `/tmp/perf-<pid>.map` for appending unless it is open; 0, or -1
/// if it cannot be created.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_PerfMapState_Init() -> c_int {
    let mut m = MAP.lock();
    if m.is_none() {
        match std::fs::OpenOptions::new().create(true).append(true).open(map_path()) {
            Ok(f) => *m = Some(f),
            Err(_) => return -1,
        }
    }
    0
}

/// Appends "addr size name" for a code region; 0, or -1 if the map cannot
/// be opened or written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnstable_WritePerfMapEntry(code_addr: *const c_void, code_size: c_uint, entry_name: *const c_char) -> c_int {
    if PyUnstable_PerfMapState_Init() != 0 {
        return -1;
    }
    let name = if entry_name.is_null() {
        String::new()
    } else {
        // SAFETY: C passes a NUL-terminated name.
        unsafe { CStr::from_ptr(entry_name) }.to_string_lossy().into_owned()
    };
    let mut m = MAP.lock();
    let Some(f) = m.as_mut() else { return -1 };
    if writeln!(f, "{:x} {:x} {}", code_addr as usize, code_size, name).and_then(|_| f.flush()).is_err() {
        return -1;
    }
    0
}

/// Closes the perf map.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_PerfMapState_Fini() {
    *MAP.lock() = None;
}

/// Copies the entries of `parent_filename` (a parent's perf map, after a
/// fork) into this process's map; 0, or -1 on an I/O error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnstable_CopyPerfMapFile(parent_filename: *const c_char) -> c_int {
    if parent_filename.is_null() {
        return -1;
    }
    // SAFETY: C passes a NUL-terminated path.
    let path = unsafe { CStr::from_ptr(parent_filename) }.to_string_lossy().into_owned();
    let Ok(data) = std::fs::read(path) else { return -1 };
    if PyUnstable_PerfMapState_Init() != 0 {
        return -1;
    }
    let mut m = MAP.lock();
    let Some(f) = m.as_mut() else { return -1 };
    if f.write_all(&data).and_then(|_| f.flush()).is_err() {
        return -1;
    }
    0
}

/// 0: there is no perf trampoline to compile code for.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_PerfTrampoline_CompileCode(_code: *mut c_void) -> c_int {
    0
}

/// 0: there is no perf trampoline to keep after fork.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_PerfTrampoline_SetPersistAfterFork(_enable: c_int) -> c_int {
    0
}
