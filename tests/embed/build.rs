// `Py_3_14` etc. for the tests (from the same PYO3_CONFIG_FILE as pyo3).
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
