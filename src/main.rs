//! `pyfacade`: a `python`-compatible command line for RustPython with
//! CPython 3.14's binary C-API, so that wheel-built extensions import.

use rustpython::{InterpreterBuilder, InterpreterBuilderExt};
use std::process::ExitCode;

/// As in RustPython's own binary (its default `mimalloc` feature).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A debug build of RustPython recurses deeper than 8 MiB allows.
const STACK_SIZE: usize = 512 * 1024 * 1024;

fn main() -> ExitCode {
    let t = std::thread::Builder::new().name("main".into()).stack_size(STACK_SIZE).spawn(run);
    match t.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => ExitCode::from(70),
    }
}

fn run() -> ExitCode {
    let (settings, mode) = match rustpython::parse_opts() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let interp = InterpreterBuilder::new().init_stdlib().settings(settings).init_hook(pyfacade::objects::ceval_gil::install_pending_channel).interpreter();
    let code = interp.run(move |vm| pyfacade::objects::pylifecycle::run_main(vm, mode));
    rustpython::vm::host_env::os::exit_code(code)
}
