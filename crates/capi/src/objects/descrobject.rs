//! `descrobject.h`: `PyDescr_*`, `PyMember_*`, `PyWrapper_New`.
//!
//! Descriptors are made the way extension types' `tp_methods`, `tp_getset`
//! and `tp_members` are installed (types/members.rs).

use rustpython_vm::builtins::PyType;
use rustpython_vm::function::{FuncArgs, ItemDoc, PyMethodFlags};
use rustpython_vm::{AsObject, Py, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{CStr, c_char, c_int, c_void};

use super::methodobject::{c_args_kwargs, c_result};
use super::{new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{Shared, api, api_noerr, gil, system_error, type_error};
use crate::types::heaptype::{PyGetSetDef, PyMemberDef};
use crate::types::members;

/// The RustPython class of C type `tp`, for the descriptor's lifetime (leaked:
/// descriptors are made once per type).
fn class_of(vm: &VirtualMachine, tp: *mut PyTypeObject) -> PyResult<&'static Py<PyType>> {
    let t = rp(vm, tp.cast())?.downcast::<PyType>().map_err(|_| system_error(vm, "bad argument to internal function"))?;
    Ok(Box::leak(Box::new(t)))
}

/// New reference to a method descriptor of `type` for `meth`.
#[unsafe(no_mangle)]
pub extern "C" fn PyDescr_NewMethod(type_: *mut PyTypeObject, meth: *mut PyMethodDef) -> *mut PyObject {
    new_ref("PyDescr_NewMethod", |vm| {
        let cls = class_of(vm, type_)?;
        // SAFETY: a static method definition.
        let flags = unsafe { (*meth).ml_flags } & !(METH_CLASS | METH_STATIC);
        members::method_value(vm, cls, type_, meth, flags)
    })
}

/// New reference to a class-method descriptor of `type` for `meth`.
#[unsafe(no_mangle)]
pub extern "C" fn PyDescr_NewClassMethod(type_: *mut PyTypeObject, meth: *mut PyMethodDef) -> *mut PyObject {
    new_ref("PyDescr_NewClassMethod", |vm| {
        let cls = class_of(vm, type_)?;
        // SAFETY: a static method definition.
        let flags = (unsafe { (*meth).ml_flags } & !METH_STATIC) | METH_CLASS;
        members::method_value(vm, cls, type_, meth, flags)
    })
}

/// New reference to a getset descriptor of `type` for `getset`.
#[unsafe(no_mangle)]
pub extern "C" fn PyDescr_NewGetSet(type_: *mut PyTypeObject, getset: *mut PyGetSetDef) -> *mut PyObject {
    new_ref("PyDescr_NewGetSet", |vm| Ok(members::getset_descr(vm, class_of(vm, type_)?, getset)))
}

/// New reference to a member descriptor of `type` for `member`.
#[unsafe(no_mangle)]
pub extern "C" fn PyDescr_NewMember(type_: *mut PyTypeObject, member: *mut PyMemberDef) -> *mut PyObject {
    new_ref("PyDescr_NewMember", |vm| {
        // SAFETY: a static member definition, as CPython requires.
        let m: &'static PyMemberDef = unsafe { &*member };
        Ok(members::member_descr(vm, class_of(vm, type_)?, m))
    })
}

/// CPython's `struct wrapperbase` (a slot wrapper's definition).
#[repr(C)]
pub struct wrapperbase {
    pub name: *const c_char,
    pub offset: c_int,
    pub function: *mut c_void,
    pub wrapper: *mut c_void,
    pub doc: *const c_char,
    pub flags: c_int,
    pub name_strobj: *mut PyObject,
}

type WrapperFunc = unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut c_void) -> *mut PyObject;
type WrapperFuncKw = unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut c_void, *mut PyObject) -> *mut PyObject;
const PY_WRAPPER_FLAG_KEYWORDS: c_int = 1;

/// New reference to a slot-wrapper descriptor of `type`: calling it with
/// `self` calls `base->wrapper(self, args, wrapped[, kwds])`.
#[unsafe(no_mangle)]
pub extern "C" fn PyDescr_NewWrapper(type_: *mut PyTypeObject, base: *mut wrapperbase, wrapped: *mut c_void) -> *mut PyObject {
    new_ref("PyDescr_NewWrapper", |vm| {
        let cls = class_of(vm, type_)?;
        if base.is_null() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        // SAFETY: a static wrapperbase, as CPython's slotdefs.
        let (name, doc, flags) = unsafe {
            let n = CStr::from_ptr((*base).name).to_str().map_err(|_| system_error(vm, "wrapper name is not UTF-8"))?;
            let d = (*base).doc;
            let d = if d.is_null() { None } else { CStr::from_ptr(d).to_str().ok() };
            (vm.ctx.intern_str(n).as_str(), d.map(|d| vm.ctx.intern_str(d).as_str()), (*base).flags)
        };
        let def = Shared((base.cast_const(), wrapped.cast_const()));
        let func = move |mut args: FuncArgs, vm: &VirtualMachine| -> PyResult {
            let d = &def;
            let (b, w) = d.0;
            if args.args.is_empty() {
                return Err(type_error(vm, format!("descriptor '{name}' needs an argument")));
            }
            let zelf = args.args.remove(0);
            if flags & PY_WRAPPER_FLAG_KEYWORDS == 0 && !args.kwargs.is_empty() {
                return Err(type_error(vm, format!("wrapper {name}() takes no keyword arguments")));
            }
            let _g = gil::ensure(vm);
            bridge::bump_epoch();
            let slf = bridge::to_c(vm, &zelf);
            let (t, kw) = c_args_kwargs(vm, args)?;
            // SAFETY: the wrapper of a static wrapperbase, with its signature.
            let r = unsafe {
                if flags & PY_WRAPPER_FLAG_KEYWORDS != 0 {
                    std::mem::transmute::<*mut c_void, WrapperFuncKw>((*b).wrapper)(slf, t, w.cast_mut(), kw)
                } else {
                    std::mem::transmute::<*mut c_void, WrapperFunc>((*b).wrapper)(slf, t, w.cast_mut())
                }
            };
            // SAFETY: our references.
            unsafe {
                bridge::decref(t);
                bridge::xdecref(kw);
                bridge::decref(slf);
            }
            c_result(vm, r, name)
        };
        let doc = doc.map_or(ItemDoc::NONE, ItemDoc::static_text);
        Ok(vm.ctx.new_method_def(name, func, PyMethodFlags::METHOD, doc).build_method(cls, vm).into())
    })
}

/// New reference to descriptor `d` bound to `self` (`d.__get__(self, type(self))`).
#[unsafe(no_mangle)]
pub extern "C" fn PyWrapper_New(d: *mut PyObject, self_: *mut PyObject) -> *mut PyObject {
    new_ref("PyWrapper_New", |vm| {
        let (d, s) = (rp(vm, d)?, rp(vm, self_)?);
        let cls: PyObjectRef = s.class().to_owned().into();
        super::py(vm, || vm.call_method(&d, "__get__", (s, cls)))
    })
}

/// 1 if `descr` is a data descriptor (its type defines `__set__` or `__delete__`), else 0.
#[unsafe(no_mangle)]
pub extern "C" fn PyDescr_IsData(descr: *mut PyObject) -> c_int {
    api_noerr("PyDescr_IsData", 0, |vm| {
        let Ok(d) = rp(vm, descr) else { return 0 };
        let c = d.class();
        (c.slots.descr_set.load().is_some() || c.has_attr(vm.ctx.intern_str("__set__")) || c.has_attr(vm.ctx.intern_str("__delete__"))) as c_int
    })
}

/// New reference to member `m` of the object at `obj_addr`; AttributeError
/// for an unset `Py_T_OBJECT_EX`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMember_GetOne(obj_addr: *const c_char, m: *mut PyMemberDef) -> *mut PyObject {
    new_ref("PyMember_GetOne", |vm| {
        // SAFETY: C passes a member definition describing the object at obj_addr.
        unsafe {
            check_offset(vm, &*m, "PyMember_GetOne")?;
            members::read_at(vm, &*m, obj_addr.cast_mut().cast::<u8>().offset((*m).offset), obj_addr.cast_mut().cast())
        }
    })
}

/// Sets member `m` of the object at `addr` to `v` (NULL: delete): 0, or -1
/// with CPython's errors (readonly, type, overflow).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMember_SetOne(addr: *mut c_char, m: *mut PyMemberDef, v: *mut PyObject) -> c_int {
    api("PyMember_SetOne", |vm| {
        // SAFETY: C passes a valid member definition.
        let md = unsafe { &*m };
        check_offset(vm, md, "PyMember_SetOne")?;
        let value = if v.is_null() { None } else { Some(rp(vm, v)?) };
        let mv = members::member_value(vm, md, value.as_ref())?;
        // SAFETY: the member describes a field at addr + offset.
        unsafe { members::store_at(vm, md, addr.cast::<u8>().offset(md.offset), mv, value.as_ref())? };
        Ok(0)
    })
}

/// `Py_RELATIVE_OFFSET` members are only valid in `PyType_FromSpec`.
fn check_offset(vm: &VirtualMachine, m: &PyMemberDef, name: &str) -> PyResult<()> {
    const PY_RELATIVE_OFFSET: c_int = 8;
    if m.flags & PY_RELATIVE_OFFSET != 0 {
        return Err(system_error(vm, format!("{name} used with Py_RELATIVE_OFFSET")));
    }
    Ok(())
}

// ---- tp_descr_get / tp_descr_set of the facade's type objects -------------------------

/// `tp_descr_get` of a type object whose RustPython type is a descriptor
/// (functions, properties, classmethods, Python classes with `__get__`):
/// new reference to `self.__get__(obj, type)`; NULL `obj`/`type` are None.
/// C calls it inline to bind what it found on a type (PyO3's special-method
/// lookup does).
pub(crate) unsafe extern "C" fn slot_descr_get(slf: *mut PyObject, obj: *mut PyObject, ty: *mut PyObject) -> *mut PyObject {
    new_ref("tp_descr_get", |vm| {
        let d = rp(vm, slf)?;
        let opt = |p: *mut PyObject| if p.is_null() { Ok(None) } else { rp(vm, p).map(Some) };
        let (o, t) = (opt(obj)?, opt(ty)?);
        let get = d.class().slots.descr_get.load().ok_or_else(|| type_error(vm, format!("'{}' object is not a descriptor", d.class().name())))?;
        super::py(vm, || get(&d, o.as_deref(), t.as_deref(), vm))
    })
}

/// `tp_descr_set` of a type object whose RustPython type is a data
/// descriptor: `self.__set__(obj, value)`, or `self.__delete__(obj)` when
/// `value` is NULL; 0, or -1 with an exception.
pub(crate) unsafe extern "C" fn slot_descr_set(slf: *mut PyObject, obj: *mut PyObject, value: *mut PyObject) -> c_int {
    api("tp_descr_set", |vm| {
        let d = rp(vm, slf)?;
        let o = rp(vm, obj)?;
        let v = if value.is_null() { rustpython_vm::function::PySetterValue::Delete } else { rustpython_vm::function::PySetterValue::Assign(rp(vm, value)?) };
        let set = d.class().slots.descr_set.load().ok_or_else(|| type_error(vm, format!("'{}' object is not a data descriptor", d.class().name())))?;
        super::py(vm, || set(&d, o, v, vm))?;
        Ok(0)
    })
}
