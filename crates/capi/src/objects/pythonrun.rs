//! `pythonrun.h`: `PyRun_*`, `Py_CompileString*`, `PyErr_Display*`.
//!
//! Source is compiled by RustPython's compiler with CPython's start tokens
//! and `PyCompilerFlags`, and run with `globals`/`locals` as `PyEval_EvalCode`
//! does. C `FILE*` streams are read with the C library, so a file an
//! extension opened is consumed exactly as CPython's tokenizer would.

use rustpython_vm::builtins::{PyCode, PyDict, PyDictRef, PyStr};
use rustpython_vm::function::ArgMapping;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, TryFromObject, VirtualMachine};
use std::ffi::{c_char, c_int};

use super::{cstr, new_ref, py, rp};
use crate::abi::PyObject;
use crate::runtime::{api, api_noerr, errors, system_error};

pub const Py_single_input: c_int = 256;
pub const Py_file_input: c_int = 257;
pub const Py_eval_input: c_int = 258;
/// `E_EOF`: what `PyRun_InteractiveOne*` returns at end of input.
const E_EOF: c_int = 11;
/// `PyCF_ALLOW_INCOMPLETE_INPUT | PyCF_DONT_IMPLY_DEDENT` (as `codeop` compiles).
const CF_INTERACTIVE_PROBE: c_int = 0x4000 | 0x0200;

/// CPython's `PyCompilerFlags`.
#[repr(C)]
pub struct PyCompilerFlags {
    pub cf_flags: c_int,
    pub cf_feature_version: c_int,
}

/// `(cf_flags, cf_feature_version)` of an optional flags struct.
fn read_flags(flags: *mut PyCompilerFlags) -> (c_int, c_int) {
    if flags.is_null() {
        return (0, rustpython_vm::version::MINOR as c_int);
    }
    // SAFETY: C passes a valid PyCompilerFlags or NULL.
    unsafe { ((*flags).cf_flags, (*flags).cf_feature_version) }
}

/// A filename argument (str, or bytes decoded from the file system encoding).
fn filename_str(vm: &VirtualMachine, f: &PyObjectRef) -> PyResult<String> {
    if let Some(s) = f.downcast_ref::<PyStr>() {
        return Ok(s.as_wtf8().to_string());
    }
    let s = vm.import("os", 0)?.get_attr("fsdecode", vm)?.call((f.clone(),), vm)?;
    Ok(s.str(vm)?.as_wtf8().to_string())
}

/// `Py_CompileStringObject`: a code object (or an AST with `PyCF_ONLY_AST`).
pub(crate) fn compile(vm: &VirtualMachine, source: &[u8], filename: &str, start: c_int, flags: *mut PyCompilerFlags, optimize: c_int) -> PyResult {
    let (cf, fv) = read_flags(flags);
    // C callers are not checked as `compile()`'s are: below 0 is the default
    // level, above 2 is the highest.
    let optimize = if optimize < 0 { -1 } else { optimize.min(2) };
    py(vm, || vm.compile_string_object_with_flags(source, filename, start, cf, fv, optimize))
}

/// `PyEval_EvalCode(code, globals, locals)`: `globals` must be a dict (it
/// gains `__builtins__` if missing); `locals` defaults to `globals`.
pub(crate) fn eval_code(vm: &VirtualMachine, code: PyObjectRef, globals: PyObjectRef, locals: Option<PyObjectRef>) -> PyResult {
    let globals = PyDictRef::try_from_object(vm, globals).map_err(|_| system_error(vm, "globals must be a real dict"))?;
    let code = code.downcast::<PyCode>().map_err(|_| system_error(vm, "bad argument to internal function"))?;
    let locals = match locals {
        Some(l) => ArgMapping::try_from_object(vm, l)?,
        None => ArgMapping::from_dict_exact(globals.clone()),
    };
    py(vm, || {
        if globals.get_item_opt("__builtins__", vm)?.is_none() {
            globals.set_item("__builtins__", vm.builtins.clone().into(), vm)?;
        }
        vm.run_code_obj(code, rustpython_vm::scope::Scope::new(Some(locals), globals))
    })
}

/// Compiles `source` and runs it with the C `globals`/`locals` arguments.
fn run_source(vm: &VirtualMachine, source: &[u8], filename: &str, start: c_int, globals: *mut PyObject, locals: *mut PyObject, flags: *mut PyCompilerFlags) -> PyResult {
    let g = rp(vm, globals)?;
    let l = if locals.is_null() { None } else { Some(rp(vm, locals)?) };
    run_mod(vm, source, filename, start, g, l, flags)
}

/// `run_mod`: compile, raise the `exec` audit event, evaluate.
fn run_mod(vm: &VirtualMachine, source: &[u8], filename: &str, start: c_int, g: PyObjectRef, l: Option<PyObjectRef>, flags: *mut PyCompilerFlags) -> PyResult {
    if g.downcast_ref::<PyDict>().is_none() {
        return Err(system_error(vm, "globals must be a real dict"));
    }
    let code = compile(vm, source, filename, start, flags, -1)?;
    py(vm, || vm.audit("exec", || (code.clone(),)))?;
    eval_code(vm, code, g, l)
}

/// The `__main__` module's dict (creating `__main__` as `PyImport_AddModule` does).
fn main_dict(vm: &VirtualMachine) -> PyResult<PyDictRef> {
    let m = super::import::add_module(vm, vm.ctx.new_str("__main__"))?;
    PyDictRef::try_from_object(vm, m.get_attr("__dict__", vm)?)
}

/// `flush_io`: flush `sys.stderr` and `sys.stdout`, ignoring errors.
fn flush_io(vm: &VirtualMachine) {
    let saved = errors::take();
    for name in ["stderr", "stdout"] {
        if let Ok(f) = vm.sys_module.get_attr(name, vm) {
            let _ = py(vm, || vm.call_method(&f, "flush", ()));
        }
    }
    errors::restore(saved);
}

/// Prints the pending exception as `PyErr_Print` does (returns -1).
fn print_error() -> c_int {
    super::pyerrors::PyErr_Print();
    -1
}

/// New reference to the result of running `str` (`start` picks eval/file/single input).
#[unsafe(no_mangle)]
pub extern "C" fn PyRun_StringFlags(str: *const c_char, start: c_int, globals: *mut PyObject, locals: *mut PyObject, flags: *mut PyCompilerFlags) -> *mut PyObject {
    new_ref("PyRun_StringFlags", |vm| run_source(vm, cstr(vm, str)?.as_bytes(), "<string>", start, globals, locals, flags))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_String(str: *const c_char, start: c_int, globals: *mut PyObject, locals: *mut PyObject) -> *mut PyObject {
    PyRun_StringFlags(str, start, globals, locals, std::ptr::null_mut())
}

/// Runs `command` in `__main__`; on error prints it and returns -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyRun_SimpleStringFlags(command: *const c_char, flags: *mut PyCompilerFlags) -> c_int {
    let ok = api("PyRun_SimpleStringFlags", |vm| {
        let d = main_dict(vm)?;
        run_mod(vm, cstr(vm, command)?.as_bytes(), "<string>", Py_file_input, d.into(), None, flags).map(|_| 0)
    });
    if ok < 0 { print_error() } else { 0 }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_SimpleString(command: *const c_char) -> c_int {
    PyRun_SimpleStringFlags(command, std::ptr::null_mut())
}

/// Reads the rest of a C stream.
pub(crate) fn read_all(fp: *mut libc::FILE) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        // SAFETY: fp is a valid readable FILE* (the caller's), buf is writable.
        let n = unsafe { libc::fread(buf.as_mut_ptr().cast(), 1, buf.len(), fp) };
        out.extend_from_slice(&buf[..n]);
        if n < buf.len() {
            return out;
        }
    }
}

fn close(fp: *mut libc::FILE, closeit: c_int) {
    if closeit != 0 {
        // SAFETY: the caller hands the stream over for closing.
        unsafe { libc::fclose(fp) };
    }
}

/// A `const char*` filename (`"???"` when NULL, as CPython).
fn c_filename(vm: &VirtualMachine, filename: *const c_char) -> PyResult<String> {
    if filename.is_null() {
        return Ok("???".to_owned());
    }
    // SAFETY: C passes a NUL-terminated string.
    let b = unsafe { std::ffi::CStr::from_ptr(filename) }.to_bytes();
    filename_str(vm, &vm.ctx.new_bytes(b.to_vec()).into())
}

/// New reference to the result of running the stream `fp` (closed if `closeit`).
#[unsafe(no_mangle)]
pub extern "C" fn PyRun_FileExFlags(fp: *mut libc::FILE, filename: *const c_char, start: c_int, globals: *mut PyObject, locals: *mut PyObject, closeit: c_int, flags: *mut PyCompilerFlags) -> *mut PyObject {
    new_ref("PyRun_FileExFlags", |vm| {
        if fp.is_null() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let src = read_all(fp);
        close(fp, closeit);
        run_source(vm, &src, &c_filename(vm, filename)?, start, globals, locals, flags)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_FileEx(fp: *mut libc::FILE, filename: *const c_char, start: c_int, globals: *mut PyObject, locals: *mut PyObject, closeit: c_int) -> *mut PyObject {
    PyRun_FileExFlags(fp, filename, start, globals, locals, closeit, std::ptr::null_mut())
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_FileFlags(fp: *mut libc::FILE, filename: *const c_char, start: c_int, globals: *mut PyObject, locals: *mut PyObject, flags: *mut PyCompilerFlags) -> *mut PyObject {
    PyRun_FileExFlags(fp, filename, start, globals, locals, 0, flags)
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_File(fp: *mut libc::FILE, filename: *const c_char, start: c_int, globals: *mut PyObject, locals: *mut PyObject) -> *mut PyObject {
    PyRun_FileExFlags(fp, filename, start, globals, locals, 0, std::ptr::null_mut())
}

/// `set_main_loader`: `__main__.__loader__` = importlib's `loader("__main__", filename)`.
fn set_main_loader(vm: &VirtualMachine, d: &PyDictRef, filename: &str, loader: &'static str) -> PyResult<()> {
    py(vm, || {
        let ext = vm.import("_frozen_importlib_external", 0)?;
        let l = ext.get_attr(loader, vm)?.call(("__main__", filename), vm)?;
        d.set_item("__loader__", l, vm)
    })
}

/// `run_pyc_file`: a `.pyc` of this interpreter (RustPython's format: the
/// magic number, three header words, then the marshalled code object).
fn run_pyc(vm: &VirtualMachine, data: &[u8], globals: PyDictRef) -> PyResult {
    let magic = (super::import::PyImport_GetMagicNumber() as u32).to_le_bytes();
    if data.len() < 4 || data[..4] != magic {
        return Err(vm.new_runtime_error("Bad magic number in .pyc file"));
    }
    if data.len() < 16 {
        return Err(vm.new_eof_error("EOF read where not expected"));
    }
    let marshal = py(vm, || vm.import("marshal", 0))?;
    let code = py(vm, || vm.call_method(&marshal, "loads", (vm.ctx.new_bytes(data[16..].to_vec()),)));
    match code {
        Ok(c) if c.downcast_ref::<PyCode>().is_some() => eval_code(vm, c, globals.into(), None),
        _ => Err(vm.new_runtime_error("Bad code object in .pyc file")),
    }
}

/// Runs the stream as `__main__` (setting `__file__`/`__cached__` for the
/// run if absent, and `__loader__`); on error prints it and returns -1. A
/// `.pyc` (by name, or by magic number when `closeit`) runs its code object.
#[unsafe(no_mangle)]
pub extern "C" fn PyRun_SimpleFileExFlags(fp: *mut libc::FILE, filename: *const c_char, closeit: c_int, flags: *mut PyCompilerFlags) -> c_int {
    let r = api("PyRun_SimpleFileExFlags", |vm| {
        if fp.is_null() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let d = main_dict(vm)?;
        let name = c_filename(vm, filename)?;
        let set_file = d.get_item_opt("__file__", vm)?.is_none();
        if set_file {
            d.set_item("__file__", vm.ctx.new_str(name.as_str()).into(), vm)?;
            d.set_item("__cached__", vm.ctx.none(), vm)?;
        }
        let src = read_all(fp);
        close(fp, closeit);
        let magic = (super::import::PyImport_GetMagicNumber() as u32).to_le_bytes();
        let is_pyc = name.ends_with(".pyc") || (closeit != 0 && src.len() >= 2 && src[..2] == magic[..2]);
        let r = if is_pyc {
            set_main_loader(vm, &d, &name, "SourcelessFileLoader").and_then(|_| run_pyc(vm, &src, d.clone()))
        } else {
            let loader = if name == "<stdin>" { Ok(()) } else { set_main_loader(vm, &d, &name, "SourceFileLoader") };
            loader.and_then(|_| run_mod(vm, &src, &name, Py_file_input, d.clone().into(), None, flags))
        };
        flush_io(vm);
        if set_file {
            let _ = d.del_item("__file__", vm);
            let _ = d.del_item("__cached__", vm);
        }
        r.map(|_| 0)
    });
    if r < 0 { print_error() } else { 0 }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_SimpleFileEx(fp: *mut libc::FILE, filename: *const c_char, closeit: c_int) -> c_int {
    PyRun_SimpleFileExFlags(fp, filename, closeit, std::ptr::null_mut())
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_SimpleFile(fp: *mut libc::FILE, filename: *const c_char) -> c_int {
    PyRun_SimpleFileExFlags(fp, filename, 0, std::ptr::null_mut())
}

/// `Py_FdIsInteractive`: the stream is a terminal, or names stdin ("<stdin>"/"???")
/// while `Py_InteractiveFlag` is set (never, here).
fn is_interactive(fp: *mut libc::FILE) -> bool {
    // SAFETY: fp is a valid FILE*.
    unsafe { libc::isatty(libc::fileno(fp)) != 0 }
}

/// Runs `fp` interactively if it is a terminal, else as a whole file.
#[unsafe(no_mangle)]
pub extern "C" fn PyRun_AnyFileExFlags(fp: *mut libc::FILE, filename: *const c_char, closeit: c_int, flags: *mut PyCompilerFlags) -> c_int {
    if !fp.is_null() && is_interactive(fp) {
        let r = PyRun_InteractiveLoopFlags(fp, filename, flags);
        close(fp, closeit);
        r
    } else {
        PyRun_SimpleFileExFlags(fp, filename, closeit, flags)
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_AnyFileEx(fp: *mut libc::FILE, filename: *const c_char, closeit: c_int) -> c_int {
    PyRun_AnyFileExFlags(fp, filename, closeit, std::ptr::null_mut())
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_AnyFileFlags(fp: *mut libc::FILE, filename: *const c_char, flags: *mut PyCompilerFlags) -> c_int {
    PyRun_AnyFileExFlags(fp, filename, 0, flags)
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_AnyFile(fp: *mut libc::FILE, filename: *const c_char) -> c_int {
    PyRun_AnyFileExFlags(fp, filename, 0, std::ptr::null_mut())
}

/// `str(sys.<name>)`, or `""` if it is missing.
fn prompt(vm: &VirtualMachine, name: &'static str) -> PyResult<String> {
    match vm.sys_module.get_attr(name, vm) {
        Ok(p) => Ok(py(vm, || p.str(vm))?.as_wtf8().to_string()),
        Err(_) => Ok(String::new()),
    }
}

/// Writes a prompt to the C `stderr` (as `PyOS_StdioReadline`) and reads one
/// line of `fp`; `None` at end of file.
fn read_line(fp: *mut libc::FILE, prompt: &str) -> Option<Vec<u8>> {
    if !prompt.is_empty() {
        // SAFETY: the C standard streams are valid; the prompt bytes are readable.
        unsafe {
            libc::fflush(std::ptr::null_mut());
            libc::write(2, prompt.as_ptr().cast(), prompt.len());
        }
    }
    let mut line = Vec::new();
    loop {
        // SAFETY: fp is a valid readable FILE*.
        let c = unsafe { libc::fgetc(fp) };
        if c == libc::EOF {
            return if line.is_empty() { None } else { Some(line) };
        }
        line.push(c as u8);
        if c == b'\n' as c_int {
            return Some(line);
        }
    }
}

/// Reads and runs one statement of `fp` in `__main__` (prompting with
/// `sys.ps1`, then `sys.ps2` for continuation lines): 0 on success, -1 after
/// printing an error, `E_EOF` (11) at end of input.
#[unsafe(no_mangle)]
pub extern "C" fn PyRun_InteractiveOneObject(fp: *mut libc::FILE, filename: *mut PyObject, flags: *mut PyCompilerFlags) -> c_int {
    let r = api("PyRun_InteractiveOneObject", |vm| {
        if fp.is_null() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let name = filename_str(vm, &rp(vm, filename)?)?;
        let (ps1, ps2) = (prompt(vm, "ps1")?, prompt(vm, "ps2")?);
        let (cf, fv) = read_flags(flags);
        let mut probe = PyCompilerFlags { cf_flags: cf | CF_INTERACTIVE_PROBE, cf_feature_version: fv };
        let mut src = Vec::new();
        let code = loop {
            let Some(line) = read_line(fp, if src.is_empty() { &ps1 } else { &ps2 }) else {
                // The tokenizer ends the prompt line at end of input.
                // SAFETY: writing a constant byte to the C stderr.
                unsafe { libc::write(2, b"\n".as_ptr().cast(), 1) };
                if src.is_empty() {
                    return Ok(E_EOF);
                }
                // End of input inside a statement: what was read is the statement.
                break compile(vm, &src, &name, Py_single_input, flags, -1)?;
            };
            let blank = line.iter().all(|b| b.is_ascii_whitespace());
            src.extend_from_slice(&line);
            if blank && src.len() == line.len() {
                // An empty line alone is an empty statement.
                break compile(vm, b"pass\n", &name, Py_single_input, flags, -1)?;
            }
            // A blank line ends a compound statement; before it, input may be incomplete.
            let r = if blank { compile(vm, &src, &name, Py_single_input, flags, -1) } else { compile(vm, &src, &name, Py_single_input, &mut probe, -1) };
            match r {
                // An indented line may be followed by more of its block: only
                // a blank line ends a compound statement, as in CPython's REPL.
                Ok(_) if !blank && line.first().is_some_and(|b| *b == b' ' || *b == b'\t') => continue,
                Ok(c) => break c,
                Err(e) if e.class().is(vm.ctx.exceptions.incomplete_input_error) && !blank => continue,
                Err(e) => return Err(e),
            }
        };
        let d = main_dict(vm)?;
        py(vm, || vm.audit("exec", || (code.clone(),)))?;
        let r = eval_code(vm, code, d.into(), None);
        flush_io(vm);
        r.map(|_| 0)
    });
    if r < 0 { print_error() } else { r }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_InteractiveOneFlags(fp: *mut libc::FILE, filename: *const c_char, flags: *mut PyCompilerFlags) -> c_int {
    let name = new_ref("PyRun_InteractiveOneFlags", |vm| Ok(vm.ctx.new_str(c_filename(vm, filename)?).into()));
    if name.is_null() {
        return print_error();
    }
    let r = PyRun_InteractiveOneObject(fp, name, flags);
    // SAFETY: the new reference made above.
    unsafe { crate::bridge::decref(name) };
    r
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_InteractiveOne(fp: *mut libc::FILE, filename: *const c_char) -> c_int {
    PyRun_InteractiveOneFlags(fp, filename, std::ptr::null_mut())
}

/// Runs statements of `fp` until end of input (setting `sys.ps1`/`sys.ps2`
/// to `">>> "`/`"... "` if unset); errors are printed and the loop goes on.
/// Returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn PyRun_InteractiveLoopFlags(fp: *mut libc::FILE, filename: *const c_char, flags: *mut PyCompilerFlags) -> c_int {
    api_noerr("PyRun_InteractiveLoopFlags", (), |vm| {
        for (name, v) in [("ps1", ">>> "), ("ps2", "... ")] {
            if vm.sys_module.get_attr(name, vm).is_err() {
                let _ = vm.sys_module.set_attr(name, vm.ctx.new_str(v), vm);
            }
        }
    });
    while PyRun_InteractiveOneFlags(fp, filename, flags) != E_EOF {}
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn PyRun_InteractiveLoop(fp: *mut libc::FILE, filename: *const c_char) -> c_int {
    PyRun_InteractiveLoopFlags(fp, filename, std::ptr::null_mut())
}

/// New reference to the code object (or AST with `PyCF_ONLY_AST`) of `str`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_CompileStringObject(str: *const c_char, filename: *mut PyObject, start: c_int, flags: *mut PyCompilerFlags, optimize: c_int) -> *mut PyObject {
    new_ref("Py_CompileStringObject", |vm| {
        let name = filename_str(vm, &rp(vm, filename)?)?;
        compile(vm, cstr(vm, str)?.as_bytes(), &name, start, flags, optimize)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn Py_CompileStringExFlags(str: *const c_char, filename: *const c_char, start: c_int, flags: *mut PyCompilerFlags, optimize: c_int) -> *mut PyObject {
    new_ref("Py_CompileStringExFlags", |vm| {
        let name = c_filename(vm, filename)?;
        compile(vm, cstr(vm, str)?.as_bytes(), &name, start, flags, optimize)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn Py_CompileStringFlags(str: *const c_char, filename: *const c_char, start: c_int, flags: *mut PyCompilerFlags) -> *mut PyObject {
    Py_CompileStringExFlags(str, filename, start, flags, -1)
}

#[unsafe(no_mangle)]
pub extern "C" fn Py_CompileString(str: *const c_char, filename: *const c_char, start: c_int) -> *mut PyObject {
    Py_CompileStringExFlags(str, filename, start, std::ptr::null_mut(), -1)
}

/// Prints `value` (with `tb` as its traceback) like `traceback.print_exception`
/// to `sys.stderr`. Never raises.
fn display(vm: &VirtualMachine, value: PyObjectRef, tb: Option<PyObjectRef>) {
    let saved = errors::take();
    let r: PyResult<()> = py(vm, || {
        if let (Some(tb), Some(exc)) = (tb, value.downcast_ref::<rustpython_vm::builtins::PyBaseException>()) {
            // A traceback given separately is used only if the exception has none.
            if tb.downcast_ref::<rustpython_vm::builtins::PyTraceback>().is_some() && exc.__traceback__().is_none() {
                exc.as_object().set_attr("__traceback__", tb, vm)?;
            }
        }
        let file = vm.sys_module.get_attr("stderr", vm)?;
        if vm.is_none(&file) {
            return Ok(());
        }
        let tbm = vm.import("traceback", 0)?;
        let kwargs = rustpython_vm::function::KwArgs::from_iter([("file".to_owned(), file.clone())]);
        tbm.get_attr("print_exception", vm)?.call(rustpython_vm::function::FuncArgs::new(vec![value.clone()], kwargs), vm)?;
        let _ = vm.call_method(&file, "flush", ());
        Ok(())
    });
    if let Err(e) = r {
        // As CPython when printing itself fails: fall back to the VM's printer.
        vm.print_exception(&e);
    }
    errors::restore(saved);
}

/// Prints `value` and `tb` to `sys.stderr` (`exc_type` is ignored, as CPython 3.12+).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_Display(_exc_type: *mut PyObject, value: *mut PyObject, tb: *mut PyObject) {
    api_noerr("PyErr_Display", (), |vm| {
        let Ok(v) = rp(vm, value) else { return };
        let tb = if tb.is_null() { None } else { rp(vm, tb).ok() };
        display(vm, v, tb)
    })
}

/// Prints `exc` with its traceback to `sys.stderr`.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_DisplayException(exc: *mut PyObject) {
    api_noerr("PyErr_DisplayException", (), |vm| {
        if let Ok(v) = rp(vm, exc) {
            display(vm, v, None)
        }
    })
}
