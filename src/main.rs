//! `pyfacade`: a `python`-compatible command line for RustPython with
//! CPython 3.14's binary C-API, so that wheel-built extensions import.

use rustpython::vm::{PyResult, VirtualMachine, scope::Scope};
use rustpython::{InterpreterBuilder, InterpreterBuilderExt, RunMode};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

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
    let interp = InterpreterBuilder::new().init_stdlib().settings(settings).interpreter();
    let code = interp.run(move |vm| main_body(vm, mode));
    rustpython::vm::host_env::os::exit_code(code)
}

/// `pymain_run_python`: warnings, site, sys.path[0], then the run mode.
fn main_body(vm: &VirtualMachine, mode: RunMode) -> PyResult<()> {
    let scope = vm.new_scope_with_main()?;
    let _ = vm.import("warnings", 0);
    pyfacade::install(vm)?;
    let _ = vm.import("site", 0);
    let safe_path = vm.state.config.settings.safe_path;
    let cwd = || std::env::current_dir().ok().and_then(|p| p.to_str().map(str::to_owned));
    let result = match mode {
        RunMode::Command(command) => {
            if !safe_path {
                vm.insert_sys_path(vm.new_pyobj(""))?;
            }
            vm.run_string(scope, &command, "<string>").map(drop)
        }
        RunMode::Module(module) => {
            if !safe_path {
                vm.insert_sys_path(vm.new_pyobj(cwd().unwrap_or_default()))?;
            }
            vm.run_module(&module)
        }
        RunMode::Script(path) => run_file(vm, scope, &path, safe_path),
        RunMode::InstallPip(_) => Err(vm.new_exception_msg(
            vm.ctx.exceptions.system_error.to_owned(),
            "--install-pip is not supported by pyfacade".to_owned().into(),
        )),
        RunMode::Repl => {
            if !safe_path {
                vm.insert_sys_path(vm.new_pyobj(""))?;
            }
            // CPython's sys.argv is [''] when no script is given.
            let argv = vm.sys_module.get_attr("argv", vm)?;
            if argv.length(vm)? == 0 {
                vm.sys_module.set_attr("argv", vm.ctx.new_list(vec![vm.ctx.new_str("").into()]), vm)?;
            }
            if std::io::stdin().is_terminal() {
                if !vm.state.config.settings.quiet {
                    use rustpython::vm::version::{MAJOR, MICRO, MINOR};
                    eprintln!(
                        "Python {MAJOR}.{MINOR}.{MICRO} (pyfacade {} on RustPython) on linux\nType \"help\", \"copyright\", \"credits\" or \"license\" for more information.",
                        env!("CARGO_PKG_VERSION"),
                    );
                }
                rustpython::run_shell(vm, scope)
            } else {
                // `python < file`: stdin is a script named <stdin>, no prompts.
                let mut source = String::new();
                std::io::stdin()
                    .read_to_string(&mut source)
                    .map_err(|e| vm.new_os_error(e.to_string()))?;
                vm.run_string(scope, &source, "<stdin>").map(drop)
            }
        }
    };
    if vm.state.config.settings.inspect {
        let scope = vm.new_scope_with_main()?;
        return rustpython::run_shell(vm, scope);
    }
    result
}

/// Runs a script file (or a directory/zip with `__main__.py`).
fn run_file(vm: &VirtualMachine, scope: Scope, path: &str, safe_path: bool) -> PyResult<()> {
    let p = std::path::Path::new(path);
    let abs = std::path::absolute(p).map(|a| a.to_string_lossy().into_owned()).unwrap_or_else(|_| path.to_owned());
    if p.is_dir() || abs.ends_with(".zip") || abs.ends_with(".pyz") {
        vm.insert_sys_path(vm.new_pyobj(abs.clone()))?;
        let runpy = vm.import("runpy", 0)?;
        runpy.get_attr("_run_module_as_main", vm)?.call(("__main__", false), vm)?;
        return Ok(());
    }
    if !safe_path {
        let dir = std::fs::canonicalize(p)
            .ok()
            .and_then(|c| c.parent().map(|d| d.to_string_lossy().into_owned()))
            .unwrap_or_default();
        vm.insert_sys_path(vm.new_pyobj(dir))?;
    }
    if !p.exists() {
        let exe = &vm.state.config.paths.executable;
        eprintln!("{exe}: can't open file '{abs}': [Errno 2] No such file or directory");
        return Err(vm.new_exception(vm.ctx.exceptions.system_exit.to_owned(), vec![vm.ctx.new_int(2).into()]));
    }
    vm.run_any_file(scope, &abs)
}
