// The CLI exports the C-API so that dlopen()ed extensions bind against it.
fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic");
}
