//! `codecs.h`: the codec registry and error handlers (`PyCodec_*`), on
//! RustPython's registry (`vm.state.codec_registry`, shared with `_codecs`).

use rustpython_vm::builtins::PyTuple;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int};

use super::{cstr, new_ref, py, rp};
use crate::abi::PyObject;
use crate::runtime::{api, api_noerr, type_error};

/// `errors` argument: NULL means "strict".
pub(crate) fn errors_arg<'a>(vm: &VirtualMachine, errors: *const c_char) -> PyResult<&'a str> {
    if errors.is_null() { Ok("strict") } else { cstr(vm, errors) }
}

/// Calls `_codecs.<name>(*args)` (codec functions may run Python code: error
/// handlers, search functions).
pub(crate) fn codecs_call(vm: &VirtualMachine, name: &'static str, args: Vec<PyObjectRef>) -> PyResult {
    py(vm, || {
        let m = vm.import("_codecs", 0)?;
        m.get_attr(name, vm)?.call(args, vm)
    })
}

/// The codec 4-tuple registered for `encoding` (borrowed slots of a new tuple).
fn lookup(vm: &VirtualMachine, encoding: *const c_char) -> PyResult<rustpython_vm::PyRef<PyTuple>> {
    let enc = cstr(vm, encoding)?;
    let codec = py(vm, || vm.state.codec_registry.lookup(enc, vm))?;
    Ok(codec.into_tuple())
}

/// Registers a codec search function; 0, or -1 with TypeError if not callable.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_Register(search_function: *mut PyObject) -> c_int {
    api("PyCodec_Register", |vm| {
        vm.state.codec_registry.register(rp(vm, search_function)?, vm)?;
        Ok(0)
    })
}

/// Unregisters a codec search function (no error if absent); 0.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_Unregister(search_function: *mut PyObject) -> c_int {
    api("PyCodec_Unregister", |vm| {
        vm.state.codec_registry.unregister(&*rp(vm, search_function)?);
        Ok(0)
    })
}

/// 1 if a codec is registered for `encoding`, else 0 (never raises).
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_KnownEncoding(encoding: *const c_char) -> c_int {
    api_noerr("PyCodec_KnownEncoding", 0, |vm| lookup(vm, encoding).is_ok() as c_int)
}

/// `codecs.encode`/`decode(o, encoding, errors)` through the registry (NULL errors: strict).
pub(crate) fn codec_call(vm: &VirtualMachine, o: PyObjectRef, encoding: &str, errors: *const c_char, encode: bool) -> PyResult {
    let errors = if errors.is_null() { None } else { Some(vm.ctx.new_utf8_str(cstr(vm, errors)?)) };
    let reg = &vm.state.codec_registry;
    py(vm, || if encode { reg.encode(o, encoding, errors, vm) } else { reg.decode(o, encoding, errors, vm) })
}

/// New reference to `codecs.encode(o, encoding, errors)` (NULL errors: strict).
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_Encode(o: *mut PyObject, encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_Encode", |vm| codec_call(vm, rp(vm, o)?, cstr(vm, encoding)?, errors, true))
}

/// New reference to `codecs.decode(o, encoding, errors)` (NULL errors: strict).
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_Decode(o: *mut PyObject, encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_Decode", |vm| codec_call(vm, rp(vm, o)?, cstr(vm, encoding)?, errors, false))
}

/// Item `i` of the codec tuple of `encoding` (new reference).
fn codec_item(vm: &VirtualMachine, encoding: *const c_char, i: usize) -> PyResult {
    Ok(lookup(vm, encoding)?.as_slice()[i].clone())
}

/// New reference to the encoder function of `encoding`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_Encoder(encoding: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_Encoder", |vm| codec_item(vm, encoding, 0))
}

/// New reference to the decoder function of `encoding`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_Decoder(encoding: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_Decoder", |vm| codec_item(vm, encoding, 1))
}

/// Calls the codec's attribute `attr` with `args` plus `errors` if not NULL.
fn codec_factory(vm: &VirtualMachine, encoding: *const c_char, attr: &'static str, mut args: Vec<PyObjectRef>, errors: *const c_char) -> PyResult {
    let codec = lookup(vm, encoding)?;
    if !errors.is_null() {
        args.push(vm.ctx.new_str(cstr(vm, errors)?).into());
    }
    let codec: PyObjectRef = codec.into();
    py(vm, || codec.get_attr(attr, vm)?.call(args, vm))
}

/// New reference to `codecs.lookup(encoding).incrementalencoder(errors)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_IncrementalEncoder(encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_IncrementalEncoder", |vm| codec_factory(vm, encoding, "incrementalencoder", vec![], errors))
}

/// New reference to `codecs.lookup(encoding).incrementaldecoder(errors)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_IncrementalDecoder(encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_IncrementalDecoder", |vm| codec_factory(vm, encoding, "incrementaldecoder", vec![], errors))
}

/// New reference to `codecs.lookup(encoding).streamreader(stream, errors)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_StreamReader(encoding: *const c_char, stream: *mut PyObject, errors: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_StreamReader", |vm| codec_factory(vm, encoding, "streamreader", vec![rp(vm, stream)?], errors))
}

/// New reference to `codecs.lookup(encoding).streamwriter(stream, errors)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_StreamWriter(encoding: *const c_char, stream: *mut PyObject, errors: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_StreamWriter", |vm| codec_factory(vm, encoding, "streamwriter", vec![rp(vm, stream)?], errors))
}

/// Registers error handler `name`; 0, or -1 with TypeError if not callable.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_RegisterError(name: *const c_char, error: *mut PyObject) -> c_int {
    api("PyCodec_RegisterError", |vm| {
        let (name, h) = (cstr(vm, name)?, rp(vm, error)?);
        if !h.is_callable() {
            return Err(type_error(vm, "handler must be callable"));
        }
        vm.state.codec_registry.register_error(name.to_owned(), h);
        Ok(0)
    })
}

/// New reference to the error handler `name` (NULL: "strict"); LookupError if unknown.
#[unsafe(no_mangle)]
pub extern "C" fn PyCodec_LookupError(name: *const c_char) -> *mut PyObject {
    new_ref("PyCodec_LookupError", |vm| {
        let name = errors_arg(vm, name)?;
        vm.state.codec_registry.lookup_error(name, vm)
    })
}

/// Calls the builtin error handler `name` on `exc`.
fn builtin_handler(vm: &VirtualMachine, name: &str, exc: *mut PyObject) -> PyResult {
    let exc = rp(vm, exc)?;
    let h = vm.state.codec_registry.lookup_error(name, vm)?;
    py(vm, || h.call((exc,), vm))
}

macro_rules! error_handlers {
    ($($(#[$m:meta])* $f:ident => $name:literal;)*) => {$(
        $(#[$m])*
        #[unsafe(no_mangle)]
        pub extern "C" fn $f(exc: *mut PyObject) -> *mut PyObject {
            new_ref(stringify!($f), |vm| builtin_handler(vm, $name, exc))
        }
    )*};
}

error_handlers! {
    /// Raises `exc` (always NULL).
    PyCodec_StrictErrors => "strict";
    /// New `('', end)` for a Unicode{En,De,Trans}codeError; TypeError otherwise.
    PyCodec_IgnoreErrors => "ignore";
    /// New `('?'|'\ufffd', end)` replacement tuple.
    PyCodec_ReplaceErrors => "replace";
    /// New `('&#NNN;', end)` replacement tuple (encode errors only).
    PyCodec_XMLCharRefReplaceErrors => "xmlcharrefreplace";
    /// New `('\\xNN', end)` replacement tuple.
    PyCodec_BackslashReplaceErrors => "backslashreplace";
    /// New `('\\N{NAME}', end)` replacement tuple (encode errors only).
    PyCodec_NameReplaceErrors => "namereplace";
}

/// `const char *Py_hexdigits`: the lowercase hex digits (`codecs.c`).
#[repr(transparent)]
pub struct HexDigits(*const c_char);
// SAFETY: points to an immutable static C string.
unsafe impl Sync for HexDigits {}

#[unsafe(no_mangle)]
pub static Py_hexdigits: HexDigits = HexDigits(c"0123456789abcdef".as_ptr());
