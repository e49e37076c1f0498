//! Built by maturin in pip's isolated build environment.
#[pyo3::pymodule]
mod facadepyo3 {
    use pyo3::prelude::*;

    /// The sum of the numbers and the interpreter's name, from Rust.
    #[pyfunction]
    fn total(py: Python<'_>, xs: Vec<i64>) -> PyResult<(i64, String)> {
        let name: String = py.import("sys")?.getattr("implementation")?.getattr("name")?.extract()?;
        Ok((xs.iter().sum(), name))
    }
}
