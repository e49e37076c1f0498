//! Where pyfacade is installed, for `sys.prefix` and `site-packages`
//! (CPython: `Modules/getpath.py`).
//!
//! RustPython looks for its standard library on disk (`lib/python3.14/os.py`)
//! to find its prefix and falls back to `/usr/local` when it finds none —
//! always, for pyfacade, whose standard library is compiled in. The facade's
//! prefix is instead the *install root* of the file the facade's code lives
//! in (the `pyfacade` binary, or `libpyfacade.so` in a host): that file's
//! directory, or the directory above it when it is a `bin`, `lib` or `lib64`
//! directory. So `PREFIX/bin/pyfacade` and `PREFIX/lib/libpyfacade.so` share
//! `PREFIX`, and a build tree's `target/release/pyfacade` uses
//! `target/release`. `site-packages` is `PREFIX/lib/rustpython3.14/site-packages`
//! (RustPython's `site`/`sysconfig` layout). A virtual environment keeps the
//! prefix RustPython found from its `pyvenv.cfg`; its base prefix is the
//! install root. `import/installation.py` applies these values.

use std::ffi::{CStr, c_void};
use std::path::{Path, PathBuf};

/// The file the facade's code was loaded from: the running executable, or
/// the shared library (`libpyfacade.so`) a host loaded.
pub fn facade_file() -> Option<PathBuf> {
    // SAFETY: Dl_info is plain data; dladdr fills it for an address in a loaded object.
    let mut me: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: the address of one of our own functions; me is a valid out-pointer.
    if unsafe { libc::dladdr(facade_file as *const c_void, &mut me) } == 0 {
        return None;
    }
    // The main program's program headers lie in its first mapped segment, so
    // the object dladdr finds for them is the executable.
    // SAFETY: getauxval has no preconditions.
    let phdr = unsafe { libc::getauxval(libc::AT_PHDR) };
    // SAFETY: as above.
    let mut main: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: any address may be asked about; main is a valid out-pointer.
    let in_main = phdr != 0 && unsafe { libc::dladdr(phdr as *const c_void, &mut main) } != 0 && main.dli_fbase == me.dli_fbase;
    if in_main || me.dli_fname.is_null() {
        // dli_fname of the executable is argv[0] as typed; the kernel knows the file.
        return std::env::current_exe().ok();
    }
    // SAFETY: dladdr returned a NUL-terminated path of the loaded object.
    let name = unsafe { CStr::from_ptr(me.dli_fname) };
    std::fs::canonicalize(Path::new(&*name.to_string_lossy())).ok()
}

/// The install root of `file` (see the module docs).
pub fn install_root_of(file: &Path) -> Option<PathBuf> {
    let dir = file.parent()?;
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("bin" | "lib" | "lib64") => dir.parent().map(Path::to_path_buf),
        _ => Some(dir.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_root_rules() {
        assert_eq!(install_root_of(Path::new("/opt/pf/bin/pyfacade")), Some(PathBuf::from("/opt/pf")));
        assert_eq!(install_root_of(Path::new("/opt/pf/lib/libpyfacade.so")), Some(PathBuf::from("/opt/pf")));
        assert_eq!(install_root_of(Path::new("/opt/pf/lib64/libpyfacade.so")), Some(PathBuf::from("/opt/pf")));
        assert_eq!(install_root_of(Path::new("/src/target/release/pyfacade")), Some(PathBuf::from("/src/target/release")));
    }

    #[test]
    fn facade_file_is_this_test_binary() {
        // The unit-test executable contains the facade's code.
        assert_eq!(facade_file(), std::env::current_exe().ok());
    }
}
