// C workers for the variadic C-API functions (see csrc/varargs.c).
fn main() {
    println!("cargo:rerun-if-changed=csrc/varargs.c");
    cc::Build::new().file("csrc/varargs.c").warnings(true).extra_warnings(true).flag_if_supported("-Wno-unused-parameter").compile("pyfacade_varargs");
}
