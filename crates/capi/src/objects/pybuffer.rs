//! `pybuffer.h`: the buffer protocol in both directions.
//!
//! * C consuming a RustPython buffer (`bytes`, `bytearray`, `memoryview`,
//!   `array.array`, ...): `PyObject_GetBuffer` acquires a RustPython
//!   `PyBuffer` (which keeps the exporter exported, e.g. a `bytearray` cannot
//!   be resized) and describes its memory in the `Py_buffer`; the acquisition
//!   lives in `view->internal` until `PyBuffer_Release`.
//! * Python consuming an extension type's buffer (`bf_getbuffer`): the twin
//!   type's `as_buffer` slot fills a `Py_buffer` through the C slot and hands
//!   RustPython a buffer over that memory; `bf_releasebuffer` runs when the
//!   last consumer releases it.

use parking_lot::Mutex;
use rustpython_vm::common::borrow::{BorrowedValue, BorrowedValueMut};
use rustpython_vm::protocol::{BufferDescriptor, BufferFlags, BufferMethods, PyBuffer};
use rustpython_vm::{AsObject, PyObject as RpObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};
use std::collections::{HashMap, HashSet};
use std::ffi::{CString, c_char, c_int, c_void};
use std::sync::LazyLock;

use super::{new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, api_noerr, errors, gil, new_error, system_error};

const PyBUF_WRITABLE: c_int = 0x0001;
const PyBUF_FORMAT: c_int = 0x0004;
const PyBUF_ND: c_int = 0x0008;
const PyBUF_STRIDES: c_int = 0x0010 | PyBUF_ND;
const PyBUF_C_CONTIGUOUS: c_int = 0x0020 | PyBUF_STRIDES;
const PyBUF_F_CONTIGUOUS: c_int = 0x0040 | PyBUF_STRIDES;
const PyBUF_ANY_CONTIGUOUS: c_int = 0x0080 | PyBUF_STRIDES;

fn buffer_error(vm: &VirtualMachine, msg: &str) -> rustpython_vm::builtins::PyBaseExceptionRef {
    new_error(vm, vm.ctx.exceptions.buffer_error, msg)
}

/// The C-side record of a RustPython buffer acquisition.
struct Acquired {
    buffer: PyBuffer,
    _format: Option<CString>,
    _shape: Vec<Py_ssize_t>,
    _strides: Vec<Py_ssize_t>,
}

/// `view->internal` values that are ours (everything else belongs to a C exporter).
static ACQUIRED: LazyLock<Mutex<HashSet<usize>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

/// The `bf_getbuffer` of the object's C type, if it is an extension type that has one.
fn c_getbuffer(o: *mut PyObject) -> Option<(getbufferproc, Option<releasebufferproc>)> {
    // SAFETY: o is a valid object; tp_as_buffer is NULL or a valid table.
    unsafe {
        let tp = (*o).ob_type;
        let b = (*tp).tp_as_buffer;
        if b.is_null() {
            return None;
        }
        (*b).bf_getbuffer.map(|g| (g, (*b).bf_releasebuffer))
    }
}

/// Fills `view` for `o` as `flags` asks; 0, or -1 with BufferError/TypeError.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_GetBuffer(o: *mut PyObject, view: *mut Py_buffer, flags: c_int) -> c_int {
    if !o.is_null() && bridge::is_native(o) {
        if let Some((get, _)) = c_getbuffer(o) {
            // SAFETY: the exporter's own slot, with CPython's contract.
            return unsafe { get(o, view, flags) };
        }
    }
    api("PyObject_GetBuffer", |vm| {
        let obj = rp(vm, o)?;
        let buffer = PyBuffer::from_object(vm, &obj, BufferFlags::from_bits_truncate(flags as u32))?;
        let d = &buffer.desc;
        if flags & PyBUF_WRITABLE != 0 && d.readonly {
            return Err(buffer_error(vm, "Object is not writable."));
        }
        let c_contig = d.is_contiguous();
        let f_contig = d.is_fortran_contiguous();
        if flags & PyBUF_C_CONTIGUOUS == PyBUF_C_CONTIGUOUS && !c_contig
            || flags & PyBUF_F_CONTIGUOUS == PyBUF_F_CONTIGUOUS && !f_contig
            || flags & PyBUF_ANY_CONTIGUOUS == PyBUF_ANY_CONTIGUOUS && !(c_contig || f_contig)
            || flags & PyBUF_STRIDES != PyBUF_STRIDES && !c_contig
        {
            return Err(buffer_error(vm, "memoryview: underlying buffer is not contiguous as requested"));
        }
        if d.has_suboffsets() {
            return Err(buffer_error(vm, "buffers with suboffsets are not supported"));
        }
        // The exporter stays exported (not resizable) while `buffer` lives, so
        // the address stays valid after the borrow guard is dropped.
        let base = buffer.obj_bytes().as_ptr() as *mut u8;
        let format = (flags & PyBUF_FORMAT != 0).then(|| CString::new(d.format.as_ref()).unwrap_or_default());
        let ndim = d.ndim();
        let shape: Vec<isize> = d.dim_desc.iter().map(|x| x.0 as isize).collect();
        let strides: Vec<isize> = d.dim_desc.iter().map(|x| x.1).collect();
        let mut acq = Box::new(Acquired { buffer, _format: format, _shape: shape, _strides: strides });
        let a = &mut *acq;
        let d = &a.buffer.desc;
        // SAFETY: view is a caller-provided Py_buffer; the arrays live in `acq`.
        unsafe {
            let v = &mut *view;
            v.buf = base.offset(d.offset).cast();
            v.obj = bridge::to_c(vm, &obj);
            v.len = d.len as isize;
            v.itemsize = d.itemsize as isize;
            v.readonly = d.readonly as c_int;
            v.ndim = ndim as c_int;
            v.format = a._format.as_ref().map_or(std::ptr::null_mut(), |f| f.as_ptr().cast_mut());
            v.shape = if flags & PyBUF_ND == PyBUF_ND { a._shape.as_mut_ptr() } else { std::ptr::null_mut() };
            v.strides = if flags & PyBUF_STRIDES == PyBUF_STRIDES { a._strides.as_mut_ptr() } else { std::ptr::null_mut() };
            v.suboffsets = std::ptr::null_mut();
            let p = Box::into_raw(acq);
            ACQUIRED.lock().insert(p as usize);
            v.internal = p.cast();
        }
        Ok(0)
    })
}

/// Releases a buffer: the exporter's `bf_releasebuffer` (C exporters) or the
/// RustPython acquisition, then the reference to `view->obj`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBuffer_Release(view: *mut Py_buffer) {
    if view.is_null() {
        return;
    }
    // SAFETY: view was filled by PyObject_GetBuffer or an exporter.
    let v = unsafe { &mut *view };
    let o = v.obj;
    if o.is_null() {
        return;
    }
    let ours = !v.internal.is_null() && ACQUIRED.lock().remove(&(v.internal as usize));
    if ours {
        // SAFETY: internal is a Box<Acquired> made above.
        let acq = unsafe { Box::from_raw(v.internal.cast::<Acquired>()) };
        v.internal = std::ptr::null_mut();
        drop(acq);
    } else if let Some((_, Some(rel))) = c_getbuffer(o) {
        // SAFETY: the exporter's release slot for a view it filled.
        unsafe { rel(o, view) };
    }
    v.obj = std::ptr::null_mut();
    // SAFETY: the view owned one reference to obj.
    unsafe { bridge::decref(o) };
}

/// 1 if `o` supports the buffer protocol.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_CheckBuffer(o: *mut PyObject) -> c_int {
    if !o.is_null() && bridge::is_native(o) && c_getbuffer(o).is_some() {
        return 1;
    }
    api_noerr("PyObject_CheckBuffer", 0, |vm| rp(vm, o).map(|x| x.check_buffer() as c_int).unwrap_or(0))
}

/// For exporters: fills `view` for a contiguous byte buffer of `obj`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBuffer_FillInfo(view: *mut Py_buffer, obj: *mut PyObject, buf: *mut c_void, len: Py_ssize_t, readonly: c_int, flags: c_int) -> c_int {
    api("PyBuffer_FillInfo", |vm| {
        if view.is_null() {
            return Err(system_error(vm, "PyBuffer_FillInfo: view==NULL argument is obsolete"));
        }
        if flags & PyBUF_WRITABLE != 0 && readonly != 0 {
            return Err(buffer_error(vm, "Object is not writable."));
        }
        // SAFETY: view is a caller-provided Py_buffer.
        unsafe {
            let v = &mut *view;
            if !obj.is_null() {
                bridge::incref(obj);
            }
            v.obj = obj;
            v.buf = buf;
            v.len = len;
            v.readonly = readonly;
            v.itemsize = 1;
            v.format = if flags & PyBUF_FORMAT != 0 { c"B".as_ptr().cast_mut() } else { std::ptr::null_mut() };
            v.ndim = 1;
            v.shape = if flags & PyBUF_ND == PyBUF_ND { &raw mut v.len } else { std::ptr::null_mut() };
            v.strides = if flags & PyBUF_STRIDES == PyBUF_STRIDES { &raw mut v.itemsize } else { std::ptr::null_mut() };
            v.suboffsets = std::ptr::null_mut();
            v.internal = std::ptr::null_mut();
        }
        Ok(0)
    })
}

/// 1 if the buffer is C- (`'C'`), Fortran- (`'F'`) or either (`'A'`) contiguous.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBuffer_IsContiguous(view: *const Py_buffer, order: c_char) -> c_int {
    // SAFETY: view is a filled Py_buffer with ndim shape/strides entries.
    unsafe {
        let v = &*view;
        if !v.suboffsets.is_null() {
            return 0;
        }
        if v.strides.is_null() {
            return 1;
        }
        let n = v.ndim.max(0) as usize;
        let shape = std::slice::from_raw_parts(v.shape, n);
        let strides = std::slice::from_raw_parts(v.strides, n);
        let check = |idx: &mut dyn Iterator<Item = usize>| {
            let mut sd = v.itemsize;
            for i in idx {
                if shape[i] > 1 && strides[i] != sd {
                    return false;
                }
                sd *= shape[i];
            }
            true
        };
        let c = check(&mut (0..n).rev());
        let f = check(&mut (0..n));
        (match order as u8 {
            b'C' => c,
            b'F' => f,
            _ => c || f,
        }) as c_int
    }
}

/// Pointer to the item at `indices` (one per dimension).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBuffer_GetPointer(view: *const Py_buffer, indices: *const Py_ssize_t) -> *mut c_void {
    // SAFETY: view is filled; indices has ndim entries.
    unsafe {
        let v = &*view;
        let mut p = v.buf.cast::<u8>();
        for i in 0..v.ndim.max(0) as usize {
            let stride = if v.strides.is_null() { v.itemsize } else { *v.strides.add(i) };
            p = p.offset(stride * *indices.add(i));
        }
        p.cast()
    }
}

/// Copies a (possibly strided) buffer into `buf` (`len` bytes) in `order`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBuffer_ToContiguous(buf: *mut c_void, src: *const Py_buffer, len: Py_ssize_t, order: c_char) -> c_int {
    api("PyBuffer_ToContiguous", |vm| {
        // SAFETY: src is a filled Py_buffer; buf has len bytes.
        unsafe {
            let v = &*src;
            if len != v.len {
                return Err(new_error(vm, vm.ctx.exceptions.value_error, "PyBuffer_ToContiguous: len != view->len"));
            }
            if PyBuffer_IsContiguous(src, order) != 0 {
                std::ptr::copy_nonoverlapping(v.buf.cast::<u8>(), buf.cast::<u8>(), len as usize);
                return Ok(0);
            }
            let size = v.itemsize.max(1);
            let mut out = buf.cast::<u8>();
            for_each_item(v, order, len / size, |p| {
                std::ptr::copy_nonoverlapping(p, out, size as usize);
                out = out.add(size as usize);
            });
            Ok(0)
        }
    })
}

/// New reference to `memoryview(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyMemoryView_FromObject(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyMemoryView_FromObject", |vm| vm.ctx.types.memoryview_type.as_object().call((rp(vm, o)?,), vm))
}

/// New reference to a memoryview over C memory (`PyBUF_READ` 0x100 / `PyBUF_WRITE` 0x200).
/// The memory is copied: RustPython cannot view foreign memory without an owner.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMemoryView_FromMemory(mem: *mut c_char, size: Py_ssize_t, flags: c_int) -> *mut PyObject {
    new_ref("PyMemoryView_FromMemory", |vm| {
        let data = super::bytes_arg(vm, mem, size)?.to_vec();
        let owner: PyObjectRef = if flags & 0x200 != 0 {
            rustpython_vm::builtins::PyByteArray::from(data).into_ref(&vm.ctx).into()
        } else {
            vm.ctx.new_bytes(data).into()
        };
        vm.ctx.types.memoryview_type.as_object().call((owner,), vm)
    })
}

// ---- exporting extension buffers to Python ----------------------------------------------

/// Live exports of native objects: twin address -> views filled by bf_getbuffer.
struct Exports {
    views: Vec<Box<Py_buffer>>,
    retains: usize,
}
// SAFETY: the views are plain C data owned by this record; they are only
// touched under the EXPORTS lock or after being removed from it.
unsafe impl Send for Exports {}

static EXPORTS: LazyLock<Mutex<HashMap<usize, Exports>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn key(o: &RpObject) -> usize {
    o as *const RpObject as usize
}

fn first_view(buffer: &PyBuffer) -> (*mut u8, usize) {
    let e = EXPORTS.lock();
    e.get(&key(&buffer.obj))
        .and_then(|x| x.views.first())
        .map_or((std::ptr::null_mut(), 0), |v| (v.buf.cast::<u8>(), v.len.max(0) as usize))
}

static NATIVE_BUFFER: BufferMethods = BufferMethods {
    obj_bytes: |buffer| {
        let (p, n) = first_view(buffer);
        // SAFETY: the exporter's memory stays valid until bf_releasebuffer,
        // which runs only after the last share of this export is released.
        let s: &[u8] = if p.is_null() { &[] } else { unsafe { std::slice::from_raw_parts(p, n) } };
        BorrowedValue::Ref(s)
    },
    obj_bytes_mut: |buffer| {
        let (p, n) = first_view(buffer);
        // SAFETY: as above; writable exports only.
        let s: &mut [u8] = if p.is_null() { &mut [] } else { unsafe { std::slice::from_raw_parts_mut(p, n) } };
        BorrowedValueMut::RefMut(s)
    },
    release: |buffer| {
        let k = key(&buffer.obj);
        let done = {
            let mut e = EXPORTS.lock();
            match e.get_mut(&k) {
                Some(x) => {
                    x.retains = x.retains.saturating_sub(1);
                    if x.retains == 0 { e.remove(&k) } else { None }
                }
                None => None,
            }
        };
        if let Some(x) = done {
            release_views(&buffer.obj, x.views);
        }
    },
    retain: |buffer| {
        if let Some(x) = EXPORTS.lock().get_mut(&key(&buffer.obj)) {
            x.retains += 1;
        }
    },
};

fn release_views(obj: &RpObject, views: Vec<Box<Py_buffer>>) {
    let Some(p) = bridge::native::native_of(obj) else { return };
    let rel = c_getbuffer(p).and_then(|(_, r)| r);
    let mut views = Some(views);
    let mut run = |vm: Option<&VirtualMachine>| {
        let _g = vm.map(gil::ensure);
        for mut v in views.take().unwrap_or_default() {
            if let Some(rel) = rel {
                // SAFETY: the exporter's release slot for a view it filled.
                unsafe { rel(p, &mut *v) };
            }
            let o = std::mem::replace(&mut v.obj, std::ptr::null_mut());
            // SAFETY: the view held one reference to its exporter.
            unsafe { bridge::xdecref(o) };
        }
    };
    if rustpython_vm::vm::thread::try_with_current_vm(|vm| run(Some(vm))).is_none() {
        run(None);
    }
}

/// The `as_buffer` slot of twin types whose C type has `bf_getbuffer`.
pub(crate) fn native_as_buffer(obj: &RpObject, flags: BufferFlags, vm: &VirtualMachine) -> PyResult<PyBuffer> {
    let p = bridge::native::native_of(obj).ok_or_else(|| system_error(vm, "as_buffer on a non-native object"))?;
    let (get, _) = c_getbuffer(p).ok_or_else(|| new_error(vm, vm.ctx.exceptions.type_error, "object does not support the buffer protocol"))?;
    // SAFETY: a zeroed Py_buffer is the expected input of bf_getbuffer.
    let mut view: Box<Py_buffer> = Box::new(unsafe { std::mem::zeroed() });
    let want = (flags.bits() as c_int) | PyBUF_STRIDES | PyBUF_FORMAT;
    let r = {
        let _g = gil::ensure(vm);
        // SAFETY: bf_getbuffer contract; p is alive (obj holds it).
        unsafe { get(p, &mut *view, want) }
    };
    if r < 0 {
        return Err(errors::take().unwrap_or_else(|| system_error(vm, "bf_getbuffer failed without setting an exception")));
    }
    let desc = desc_of(&view);
    EXPORTS.lock().entry(key(obj)).or_insert(Exports { views: vec![], retains: 0 }).views.push(view);
    Ok(PyBuffer::new(obj.to_owned(), desc, &NATIVE_BUFFER))
}

/// RustPython's description of a filled C `Py_buffer` (format, shape and
/// strides are copied; `buf` is offset 0 of the memory).
fn desc_of(v: &Py_buffer) -> BufferDescriptor {
    let itemsize = v.itemsize.max(1) as usize;
    // SAFETY: the exporter filled format/shape/strides (or left them NULL).
    let format = if v.format.is_null() { "B".to_owned() } else { unsafe { std::ffi::CStr::from_ptr(v.format) }.to_string_lossy().into_owned() };
    let ndim = v.ndim.max(0) as usize;
    let dim_desc: Vec<(usize, isize, isize)> = if ndim == 0 {
        vec![]
    } else if v.shape.is_null() {
        vec![((v.len as usize) / itemsize, itemsize as isize, 0)]
    } else {
        (0..ndim)
            .map(|i| {
                // SAFETY: ndim entries.
                let shape = unsafe { *v.shape.add(i) } as usize;
                let stride = if v.strides.is_null() {
                    // C-contiguous strides from the shape.
                    // SAFETY: j < ndim shape entries.
                    (i + 1..ndim).map(|j| unsafe { *v.shape.add(j) } as isize).product::<isize>() * itemsize as isize
                } else {
                    // SAFETY: i < ndim stride entries.
                    unsafe { *v.strides.add(i) }
                };
                (shape, stride, 0)
            })
            .collect()
    };
    BufferDescriptor { len: v.len.max(0) as usize, offset: 0, readonly: v.readonly != 0, itemsize, format: format.into(), dim_desc }
}

/// A memoryview over the memory `view` describes, owned by `owner` (which
/// keeps it alive, or nothing for C memory the caller keeps alive). The view
/// is recorded like an extension's export; its `obj` is not referenced.
fn memoryview_over(vm: &VirtualMachine, owner: PyObjectRef, view: &Py_buffer) -> PyResult<PyObjectRef> {
    let desc = desc_of(view);
    // SAFETY: Py_buffer is plain C data; the copy does not own `obj`.
    let mut copy: Box<Py_buffer> = Box::new(unsafe { std::ptr::read(view) });
    copy.obj = std::ptr::null_mut();
    EXPORTS.lock().entry(key(&owner)).or_insert(Exports { views: vec![], retains: 0 }).views.push(copy);
    let buffer = PyBuffer::new(owner, desc, &NATIVE_BUFFER);
    Ok(rustpython_vm::builtins::PyMemoryView::from_buffer(buffer, vm)?.into_ref(&vm.ctx).into())
}

/// New memoryview over `view`'s memory (not copied; `view->obj` is not
/// referenced, as in CPython: the caller keeps the memory alive).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMemoryView_FromBuffer(view: *const Py_buffer) -> *mut PyObject {
    new_ref("PyMemoryView_FromBuffer", |vm| {
        // SAFETY: a filled Py_buffer from C.
        let v = unsafe { view.as_ref() }.ok_or_else(|| system_error(vm, "PyMemoryView_FromBuffer: NULL view"))?;
        if v.buf.is_null() {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, "PyMemoryView_FromBuffer(): info->buf must not be NULL"));
        }
        // A fresh object stands for the C memory (one export per view).
        memoryview_over(vm, vm.ctx.new_list(vec![]).into(), v)
    })
}

const PyBUF_WRITE: c_int = 0x200;

/// New memoryview of `o` if its buffer is contiguous in `order` ('C', 'F',
/// 'A'); otherwise (`PyBUF_READ` only) of a read-only contiguous copy.
#[unsafe(no_mangle)]
pub extern "C" fn PyMemoryView_GetContiguous(o: *mut PyObject, buffertype: c_int, order: c_char) -> *mut PyObject {
    new_ref("PyMemoryView_GetContiguous", |vm| {
        let obj = rp(vm, o)?;
        let mv = vm.ctx.types.memoryview_type.as_object().call((obj.clone(),), vm)?;
        let buffer = PyBuffer::from_object(vm, &obj, BufferFlags::FULL_RO)?;
        let d = &buffer.desc;
        if buffertype == PyBUF_WRITE && d.readonly {
            return Err(buffer_error(vm, "underlying buffer is not writable"));
        }
        let (c, f) = (d.is_contiguous(), d.is_fortran_contiguous());
        if match order as u8 { b'C' => c, b'F' => f, _ => c || f } {
            return Ok(mv);
        }
        if buffertype == PyBUF_WRITE {
            return Err(buffer_error(vm, "writable contiguous buffer requested for a non-contiguous object."));
        }
        let fort = order as u8 == b'F';
        let data = vm.call_method(&mv, "tobytes", (if fort { "F" } else { "C" },))?;
        let mut shape: Vec<Py_ssize_t> = d.dim_desc.iter().map(|x| x.0 as isize).collect();
        let mut strides = vec![0; shape.len()];
        let format = CString::new(d.format.as_ref()).unwrap_or_default();
        // SAFETY: shape and strides have ndim entries.
        unsafe { PyBuffer_FillContiguousStrides(shape.len() as c_int, shape.as_mut_ptr(), strides.as_mut_ptr(), d.itemsize as c_int, if fort { b'F' } else { b'C' } as c_char) };
        let bytes = data.downcast_ref::<rustpython_vm::builtins::PyBytes>().ok_or_else(|| system_error(vm, "tobytes() did not return bytes"))?;
        // SAFETY: an all-zero Py_buffer is valid; the fields are filled below.
        let mut v: Py_buffer = unsafe { std::mem::zeroed() };
        v.buf = bytes.as_bytes().as_ptr() as *mut c_void;
        v.len = d.len as isize;
        v.itemsize = d.itemsize as isize;
        v.readonly = 1;
        v.ndim = shape.len() as c_int;
        v.format = format.as_ptr().cast_mut();
        v.shape = shape.as_mut_ptr();
        v.strides = strides.as_mut_ptr();
        memoryview_over(vm, data.clone(), &v)
    })
}

/// Fills `strides` for a contiguous array of `shape` in `order` ('F' or C).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBuffer_FillContiguousStrides(nd: c_int, shape: *mut Py_ssize_t, strides: *mut Py_ssize_t, itemsize: c_int, order: c_char) {
    let n = nd.max(0) as usize;
    let mut sd = itemsize as Py_ssize_t;
    let dims: Box<dyn Iterator<Item = usize>> = if order as u8 == b'F' { Box::new(0..n) } else { Box::new((0..n).rev()) };
    for k in dims {
        // SAFETY: the caller's arrays have nd entries.
        unsafe {
            *strides.add(k) = sd;
            sd *= *shape.add(k);
        }
    }
}

/// Calls `f` with a pointer to each of the first `count` items of `view`, in
/// `order` ('F': first index fastest, otherwise last).
///
/// # Safety
/// `view` is a filled buffer with `ndim` shape/strides entries.
unsafe fn for_each_item(view: &Py_buffer, order: c_char, count: isize, mut f: impl FnMut(*mut u8)) {
    let n = view.ndim.max(0) as usize;
    let shape: &[isize] = if n == 0 || view.shape.is_null() { &[] } else { unsafe { std::slice::from_raw_parts(view.shape, n) } };
    let mut idx = vec![0isize; n];
    let dims: Vec<usize> = if order as u8 == b'F' { (0..n).collect() } else { (0..n).rev().collect() };
    for _ in 0..count {
        // SAFETY: idx stays within shape.
        f(unsafe { PyBuffer_GetPointer(view, idx.as_ptr()) }.cast());
        for &d in &dims {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Copies `len` bytes (at most `view->len`) from `buf` into `view`'s items in `fort` order.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBuffer_FromContiguous(view: *const Py_buffer, buf: *const c_void, len: Py_ssize_t, fort: c_char) -> c_int {
    // SAFETY: a filled view; buf has len bytes.
    unsafe {
        let v = &*view;
        let len = len.min(v.len).max(0);
        if PyBuffer_IsContiguous(view, fort) != 0 {
            std::ptr::copy_nonoverlapping(buf.cast::<u8>(), v.buf.cast::<u8>(), len as usize);
            return 0;
        }
        let size = v.itemsize.max(1);
        let mut src = buf.cast::<u8>();
        for_each_item(v, fort, len / size, |p| {
            std::ptr::copy_nonoverlapping(src, p, size as usize);
            src = src.add(size as usize);
        });
    }
    0
}

/// `struct.calcsize(format)`, or -1 with the error.
#[unsafe(no_mangle)]
pub extern "C" fn PyBuffer_SizeFromFormat(format: *const c_char) -> Py_ssize_t {
    api("PyBuffer_SizeFromFormat", |vm| {
        let f = vm.ctx.new_str(super::cstr(vm, format)?);
        let r = super::py(vm, || vm.import("struct", 0)?.get_attr("calcsize", vm)?.call((f,), vm))?;
        r.try_into_value::<isize>(vm)
    })
}

// ---- the old buffer API (abstract.h) -------------------------------------------------

fn null_error(vm: &VirtualMachine) -> rustpython_vm::builtins::PyBaseExceptionRef {
    system_error(vm, "null argument to internal routine")
}

/// Gets a buffer of `o` with `flags`, records `buf`/`len`, and releases it
/// (the pointer stays valid only while `o` is unchanged, as in CPython).
unsafe fn old_buffer(name: &str, o: *mut PyObject, buffer: *mut *mut c_void, len: *mut Py_ssize_t, flags: c_int) -> c_int {
    if o.is_null() || buffer.is_null() || len.is_null() {
        return api(name, |vm| Err::<c_int, _>(null_error(vm)));
    }
    // SAFETY: a zeroed Py_buffer is the expected input.
    let mut view: Py_buffer = unsafe { std::mem::zeroed() };
    // SAFETY: valid object and view.
    if unsafe { PyObject_GetBuffer(o, &mut view, flags) } != 0 {
        if flags & PyBUF_WRITABLE != 0 {
            errors::take();
            return api(name, |vm| Err::<c_int, _>(new_error(vm, vm.ctx.exceptions.type_error, "expected a writable bytes-like object")));
        }
        return -1;
    }
    // SAFETY: out pointers checked above; the view was filled.
    unsafe {
        *buffer = view.buf;
        *len = view.len;
        PyBuffer_Release(&mut view);
    }
    0
}

/// `*buffer`/`*len` of a bytes-like object's memory (deprecated API).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_AsCharBuffer(o: *mut PyObject, buffer: *mut *const c_char, len: *mut Py_ssize_t) -> c_int {
    // SAFETY: forwarded.
    unsafe { old_buffer("PyObject_AsCharBuffer", o, buffer.cast(), len, 0) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_AsReadBuffer(o: *mut PyObject, buffer: *mut *const c_void, len: *mut Py_ssize_t) -> c_int {
    // SAFETY: forwarded.
    unsafe { old_buffer("PyObject_AsReadBuffer", o, buffer.cast(), len, 0) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_AsWriteBuffer(o: *mut PyObject, buffer: *mut *mut c_void, len: *mut Py_ssize_t) -> c_int {
    // SAFETY: forwarded.
    unsafe { old_buffer("PyObject_AsWriteBuffer", o, buffer, len, PyBUF_WRITABLE) }
}

/// 1 if `o` can export a simple buffer (any error is cleared), else 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_CheckReadBuffer(o: *mut PyObject) -> c_int {
    if PyObject_CheckBuffer(o) == 0 {
        return 0;
    }
    // SAFETY: a zeroed Py_buffer is the expected input.
    let mut view: Py_buffer = unsafe { std::mem::zeroed() };
    // SAFETY: valid object.
    if unsafe { PyObject_GetBuffer(o, &mut view, 0) } != 0 {
        errors::take();
        return 0;
    }
    // SAFETY: filled above.
    unsafe { PyBuffer_Release(&mut view) };
    1
}

/// Copies the bytes of `src`'s buffer into `dest`'s (item by item when the
/// layouts differ): 0, or -1 (TypeError, BufferError if `dest` is smaller).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_CopyData(dest: *mut PyObject, src: *mut PyObject) -> c_int {
    if PyObject_CheckBuffer(dest) == 0 || PyObject_CheckBuffer(src) == 0 {
        return api("PyObject_CopyData", |vm| {
            Err::<c_int, _>(new_error(vm, vm.ctx.exceptions.type_error, "both destination and source must be bytes-like objects"))
        });
    }
    // SAFETY: zeroed views filled by PyObject_GetBuffer and released below.
    unsafe {
        let mut d: Py_buffer = std::mem::zeroed();
        let mut s: Py_buffer = std::mem::zeroed();
        if PyObject_GetBuffer(dest, &mut d, PyBUF_STRIDES | PyBUF_WRITABLE | PyBUF_FORMAT) != 0 {
            return -1;
        }
        if PyObject_GetBuffer(src, &mut s, PyBUF_STRIDES | PyBUF_FORMAT) != 0 {
            PyBuffer_Release(&mut d);
            return -1;
        }
        let r = if d.len < s.len {
            api("PyObject_CopyData", |vm| Err::<c_int, _>(buffer_error(vm, "destination is too small to receive data from source")))
        } else {
            let mut tmp = vec![0u8; s.len.max(0) as usize];
            PyBuffer_ToContiguous(tmp.as_mut_ptr().cast(), &s, s.len, b'C' as c_char);
            PyBuffer_FromContiguous(&d, tmp.as_ptr().cast(), s.len, b'C' as c_char)
        };
        PyBuffer_Release(&mut s);
        PyBuffer_Release(&mut d);
        r
    }
}
