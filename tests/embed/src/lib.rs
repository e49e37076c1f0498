//! Helpers shared by the embedding tests.

use pyo3::prelude::*;

/// Evaluates `expr` and extracts it.
pub fn eval<'py, T: for<'a> FromPyObject<'a, 'py>>(py: Python<'py>, expr: &std::ffi::CStr) -> T
where
    for<'a> <T as FromPyObject<'a, 'py>>::Error: std::fmt::Debug,
{
    py.eval(expr, None, None).unwrap_or_else(|e| panic!("{expr:?}: {e}")).extract().unwrap()
}

/// Prints a check's name as it passes.
pub fn ok(name: &str) {
    println!("ok {name}");
}
