// C workers for the variadic C-API functions (see csrc/varargs.c), and the
// pip wheel RustPython's `ensurepip` bundles (not part of its frozen stdlib:
// the facade embeds it, import/installation.py hands it to `ensurepip`).
fn main() {
    println!("cargo:rerun-if-changed=csrc/varargs.c");
    cc::Build::new().file("csrc/varargs.c").warnings(true).extra_warnings(true).flag_if_supported("-Wno-unused-parameter").compile("pyfacade_varargs");

    let bundled = std::path::Path::new(rustpython_pylib::LIB_PATH).join("ensurepip/_bundled");
    let wheel = std::fs::read_dir(&bundled)
        .unwrap_or_else(|e| panic!("{}: {e}", bundled.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("pip-") && n.ends_with(".whl")))
        .unwrap_or_else(|| panic!("no pip wheel in {}", bundled.display()));
    println!("cargo:rerun-if-changed={}", wheel.display());
    println!("cargo:rustc-env=PYFACADE_PIP_WHEEL={}", wheel.display());
    println!("cargo:rustc-env=PYFACADE_PIP_WHEEL_NAME={}", wheel.file_name().unwrap().to_str().unwrap());
}
