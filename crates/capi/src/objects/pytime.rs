//! `pytime.h`: `PyTime_t` clocks (integer nanoseconds), as CPython on Linux:
//! `time.monotonic()`/`perf_counter()` read `CLOCK_MONOTONIC`, `time.time()`
//! reads `CLOCK_REALTIME`. The `Raw` forms need no GIL; none can fail here.

use std::ffi::c_int;

/// `PyTime_t`.
type PyTimeT = i64;

const SEC_TO_NS: i64 = 1_000_000_000;

fn clock(id: libc::clockid_t, result: *mut PyTimeT) -> c_int {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid out-pointer.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    let ns = if rc == 0 { (ts.tv_sec as i64).saturating_mul(SEC_TO_NS).saturating_add(ts.tv_nsec as i64) } else { 0 };
    if !result.is_null() {
        // SAFETY: C passes a writable PyTime_t.
        unsafe { *result = ns };
    }
    0
}

macro_rules! clocks {
    ($($doc:literal $name:ident => $id:expr;)*) => {$(
        #[doc = $doc]
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(result: *mut PyTimeT) -> c_int {
            clock($id, result)
        }
    )*};
}

clocks! {
    "`time.monotonic_ns()` into `*result`; 0." PyTime_Monotonic => libc::CLOCK_MONOTONIC;
    "`PyTime_Monotonic` without the GIL." PyTime_MonotonicRaw => libc::CLOCK_MONOTONIC;
    "`time.perf_counter_ns()` into `*result`; 0." PyTime_PerfCounter => libc::CLOCK_MONOTONIC;
    "`PyTime_PerfCounter` without the GIL." PyTime_PerfCounterRaw => libc::CLOCK_MONOTONIC;
    "`time.time_ns()` into `*result`; 0." PyTime_Time => libc::CLOCK_REALTIME;
    "`PyTime_Time` without the GIL." PyTime_TimeRaw => libc::CLOCK_REALTIME;
}

/// Nanoseconds as seconds, dividing in integers when exact (CPython's
/// rounding).
#[unsafe(no_mangle)]
pub extern "C" fn PyTime_AsSecondsDouble(t: PyTimeT) -> f64 {
    if t % SEC_TO_NS == 0 { (t / SEC_TO_NS) as f64 } else { t as f64 / 1e9 }
}
