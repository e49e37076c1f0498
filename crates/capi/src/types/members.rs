//! `tp_methods` as method descriptors / classmethods / staticmethods, and
//! `tp_getset` and `tp_members` as getset descriptors of a twin type.

use rustpython_vm::builtins::{PyGetSet, PyType};
use rustpython_vm::function::{ItemDoc, PySetterValue};
use rustpython_vm::{AsObject, Py, PyObjectRef, PyRef, PyResult, VirtualMachine};

use crate::abi::*;
use crate::bridge;
use crate::objects::methodobject::c_result;
use crate::runtime::{Shared, gil, system_error, type_error};
use super::heaptype::*;

// ---- methods, getsets, members ------------------------------------------------------------

pub(super) fn install_methods(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject) -> PyResult<()> {
    // SAFETY: tp_methods is a static array ending with a NULL name.
    let mut ml = unsafe { (*tp).tp_methods };
    while !ml.is_null() && !unsafe { (*ml).ml_name }.is_null() {
        // SAFETY: within the array.
        let (name, flags) = unsafe { (cstr_static((*ml).ml_name).unwrap_or("?"), (*ml).ml_flags) };
        let value = method_value(vm, cls, tp, ml, flags)?;
        // Direct insertion: `type.__setattr__` would run descriptors like `__dict__`.
        cls.set_attr(vm.ctx.intern_str(name), value);
        // SAFETY: next entry.
        ml = unsafe { ml.add(1) };
    }
    Ok(())
}

/// The class attribute for method definition `ml` of `cls` (C type `tp`),
/// by `flags`: a method descriptor, or a classmethod / staticmethod
/// (`METH_CLASS` / `METH_STATIC`). Also `PyDescr_NewMethod` / `NewClassMethod`.
pub(crate) fn method_value(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject, ml: *mut PyMethodDef, flags: std::ffi::c_int) -> PyResult<PyObjectRef> {
    Ok(if flags & METH_STATIC != 0 {
        let f = crate::objects::methodobject::make_function(vm, ml, std::ptr::null_mut(), None, tp)?;
        vm.ctx.types.staticmethod_type.as_object().call((f,), vm)?
    } else if flags & METH_CLASS != 0 {
        let f = crate::objects::methodobject::make_method(vm, cls, tp, ml, true)?;
        vm.ctx.types.classmethod_type.as_object().call((f,), vm)?
    } else {
        crate::objects::methodobject::make_method(vm, cls, tp, ml, false)?
    })
}

pub(super) fn install_getsets(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject) -> PyResult<()> {
    // SAFETY: tp_getset is a static array ending with a NULL name.
    let mut gs = unsafe { (*tp).tp_getset }.cast::<PyGetSetDef>();
    while !gs.is_null() && !unsafe { (*gs).name }.is_null() {
        // SAFETY: within the array.
        let name = unsafe { cstr_static((*gs).name).unwrap_or("?") };
        cls.set_attr(vm.ctx.intern_str(name), getset_descr(vm, cls, gs));
        // SAFETY: next entry.
        gs = unsafe { gs.add(1) };
    }
    Ok(())
}

/// A getset descriptor of `cls` for the static definition `gs` (also `PyDescr_NewGetSet`).
pub(crate) fn getset_descr(vm: &VirtualMachine, cls: &'static Py<PyType>, gs: *const PyGetSetDef) -> PyObjectRef {
    let g = Shared(gs);
    // SAFETY: gs is a static definition.
    let (name, has_get, has_set, doc) = unsafe { (cstr_static((*gs).name).unwrap_or("?"), (*gs).get.is_some(), (*gs).set.is_some(), cstr_static((*gs).doc)) };
    let mut descr = PyGetSet::new(name, cls, &vm.ctx).with_doc(doc.map_or(ItemDoc::NONE, ItemDoc::static_text));
    if has_get {
        descr = descr.with_get(move |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
            let g = &g;
            let _gil = gil::ensure(vm);
            bridge::bump_epoch();
            let p = bridge::to_c(vm, &obj);
            // SAFETY: the getter of a static PyGetSetDef.
            let r = unsafe { ((*g.0).get.unwrap())(p, (*g.0).closure) };
            // SAFETY: our reference.
            unsafe { bridge::decref(p) };
            c_result(vm, r, name)
        });
    }
    if has_set {
        descr = descr.with_set(move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
            let g = &g;
            let value = match value {
                PySetterValue::Assign(v) => Some(v),
                PySetterValue::Delete => None,
            };
            set_via(vm, g.0, &obj, value.as_ref(), name)
        });
    }
    PyRef::new_ref(descr, vm.ctx.types.getset_type.to_owned(), None).into()
}

pub(super) fn set_via(vm: &VirtualMachine, g: *const PyGetSetDef, obj: &PyObjectRef, value: Option<&PyObjectRef>, name: &str) -> PyResult<()> {
    let _gil = gil::ensure(vm);
    bridge::bump_epoch();
    let p = bridge::to_c(vm, obj);
    let v = value.map_or(std::ptr::null_mut(), |v| bridge::to_c(vm, v));
    // SAFETY: the setter of a static PyGetSetDef.
    let r = unsafe { ((*g).set.unwrap())(p, v, (*g).closure) };
    release2(p, v);
    int_result(vm, r, name).map(drop)
}


pub(super) fn install_members(vm: &VirtualMachine, cls: &'static Py<PyType>, members: &[&'static PyMemberDef]) -> PyResult<()> {
    for m in members {
        let name = cstr_static(m.name).unwrap_or("?");
        if name.starts_with("__") && name.ends_with("offset__") {
            continue;
        }
        cls.set_attr(vm.ctx.intern_str(name), member_descr(vm, cls, m));
    }
    Ok(())
}

/// `__dict__` of an extension type whose instances keep their dict at
/// `offset` (`tp_dictoffset` > 0): the twin holds the dict, and reading or
/// setting `__dict__` also stores it in the object's dict slot (holding a
/// reference, which the type's `tp_dealloc` releases, as on CPython), so
/// that C reading the slot after `__dict__` was read sees that dict.
pub(super) fn install_dict_slot(vm: &VirtualMachine, cls: &'static Py<PyType>, offset: isize) {
    let descr = PyGetSet::new("__dict__", cls, &vm.ctx)
        .with_get(move |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
            let d = rustpython_vm::builtins::object_get_dict(obj.clone(), vm)?;
            store_dict_slot(vm, &obj, offset, d.as_object());
            Ok(d.into())
        })
        .with_set(move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
            let PySetterValue::Assign(v) = value else { return Err(type_error(vm, "cannot delete __dict__")) };
            let d = v.downcast::<rustpython_vm::builtins::PyDict>().map_err(|v| {
                type_error(vm, format!("__dict__ must be set to a dictionary, not a '{}'", v.class().name()))
            })?;
            obj.set_dict(Some(d.clone())).map_err(|_| type_error(vm, "This object has no __dict__"))?;
            store_dict_slot(vm, &obj, offset, d.as_object());
            Ok(())
        });
    cls.set_attr(vm.ctx.intern_str("__dict__"), PyRef::new_ref(descr, vm.ctx.types.getset_type.to_owned(), None).into());
}

/// Makes the dict slot at `offset` of `obj`'s native object hold `d`.
fn store_dict_slot(vm: &VirtualMachine, obj: &PyObjectRef, offset: isize, d: &rustpython_vm::PyObject) {
    let _g = gil::ensure(vm);
    let Some(p) = bridge::native::native_of(obj) else { return };
    let m = bridge::to_c(vm, d);
    // SAFETY: p is a live native object of a type with this dict offset; the
    // slot owns the reference it holds.
    unsafe {
        let slot = p.cast::<u8>().offset(offset).cast::<*mut PyObject>();
        let old = std::mem::replace(&mut *slot, m);
        bridge::xdecref(old);
    }
}

/// A descriptor of `cls` for member definition `m` (also `PyDescr_NewMember`).
pub(crate) fn member_descr(vm: &VirtualMachine, cls: &'static Py<PyType>, m: &'static PyMemberDef) -> PyObjectRef {
    let name = cstr_static(m.name).unwrap_or("?");
    let mem = Shared(m);
    let doc = cstr_static(m.doc).map_or(ItemDoc::NONE, ItemDoc::static_text);
    let mut descr = PyGetSet::new(name, cls, &vm.ctx).with_doc(doc).with_get(move |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
        let m = &mem;
        read_member(vm, m.0, &obj)
    });
    if m.flags & Py_READONLY == 0 {
        descr = descr.with_set(move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
            let m = &mem;
            match value {
                PySetterValue::Assign(v) => write_member(vm, m.0, &obj, Some(v)),
                PySetterValue::Delete => write_member(vm, m.0, &obj, None),
            }
        });
    }
    PyRef::new_ref(descr, vm.ctx.types.getset_type.to_owned(), None).into()
}

/// Address of member `m` inside the native object behind `obj`.
pub(super) fn member_addr(vm: &VirtualMachine, m: &PyMemberDef, obj: &PyObjectRef) -> PyResult<(*mut u8, *mut PyObject)> {
    bridge::bump_epoch();
    let p = bridge::to_c(vm, obj);
    // SAFETY: p is a native instance of a type declaring this member.
    Ok((unsafe { p.cast::<u8>().offset(m.offset) }, p))
}

pub(super) fn read_member(vm: &VirtualMachine, m: &PyMemberDef, obj: &PyObjectRef) -> PyResult {
    let _g = gil::ensure(vm);
    let (a, p) = member_addr(vm, m, obj)?;
    // SAFETY: a points at the member inside the native object p.
    let r = unsafe { read_at(vm, m, a, p) };
    // SAFETY: our reference from member_addr.
    unsafe { bridge::decref(p) };
    r
}

/// Reads member `m` at address `a` (`PyMember_GetOne`); `obj` is the object
/// that holds it, whose type names an unset `Py_T_OBJECT_EX` in the error.
///
/// # Safety
/// `a` must point at a field of the C type `m.type_code` names.
pub(crate) unsafe fn read_at(vm: &VirtualMachine, m: &PyMemberDef, a: *mut u8, obj: *mut PyObject) -> PyResult {
    let int = |v: i128| -> PyResult { Ok(vm.ctx.new_int(v).into()) };
    // SAFETY: the caller guarantees the field's type.
    unsafe {
        match m.type_code {
            0 => int(*a.cast::<i16>() as i128),
            1 => int(*a.cast::<i32>() as i128),
            2 | 17 | 19 => int(*a.cast::<i64>() as i128),
            3 => Ok(vm.ctx.new_float(*a.cast::<f32>() as f64).into()),
            4 => Ok(vm.ctx.new_float(*a.cast::<f64>()).into()),
            5 => {
                let s = *a.cast::<*const std::ffi::c_char>();
                if s.is_null() { Ok(vm.ctx.none()) } else { Ok(vm.ctx.new_str(std::ffi::CStr::from_ptr(s).to_string_lossy().as_ref()).into()) }
            }
            13 => Ok(vm.ctx.new_str(std::ffi::CStr::from_ptr(a.cast()).to_string_lossy().as_ref()).into()),
            7 => Ok(vm.ctx.new_str(char::from(*a).to_string()).into()),
            8 => int(*a.cast::<i8>() as i128),
            9 => int(*a as i128),
            10 => int(*a.cast::<u32>() as i128),
            11 => int(*a.cast::<u16>() as i128),
            12 | 18 => int(*a.cast::<u64>() as i128),
            14 => Ok(vm.ctx.new_bool(*a != 0).into()),
            6 | 16 => {
                let o = *a.cast::<*mut PyObject>();
                if !o.is_null() {
                    bridge::to_rp(vm, o)
                } else if m.type_code == 16 {
                    let tn = if obj.is_null() { "?".into() } else { std::ffi::CStr::from_ptr((*(*obj).ob_type).tp_name).to_string_lossy().into_owned() };
                    Err(vm.new_attribute_error(format!("'{tn}' object has no attribute '{}'", cstr_static(m.name).unwrap_or("?"))))
                } else {
                    Ok(vm.ctx.none())
                }
            }
            20 => Ok(vm.ctx.none()),
            _ => Err(system_error(vm, "bad memberdescr type")),
        }
    }
}

pub(super) fn write_member(vm: &VirtualMachine, m: &PyMemberDef, obj: &PyObjectRef, value: Option<PyObjectRef>) -> PyResult<()> {
    let v = member_value(vm, m, value.as_ref())?;
    let _g = gil::ensure(vm);
    let (a, p) = member_addr(vm, m, obj)?;
    // SAFETY: a points at the member inside the native object p.
    let r = unsafe { store_at(vm, m, a, v, value.as_ref()) };
    // SAFETY: our reference from member_addr.
    unsafe { bridge::decref(p) };
    r
}

/// A value converted for a member's C type (before the GIL is taken for the write).
pub(crate) enum MemberValue {
    Int(i128),
    F64(f64),
    Bool(bool),
    Char(u8),
    Obj,
    Delete,
}

/// Converts `value` (None: delete) for member `m` with `PyMember_SetOne`'s
/// checks (may run `__index__`/`__float__`).
pub(crate) fn member_value(vm: &VirtualMachine, m: &PyMemberDef, value: Option<&PyObjectRef>) -> PyResult<MemberValue> {
    use crate::runtime::new_error;
    if m.flags & Py_READONLY != 0 {
        return Err(vm.new_attribute_error("readonly attribute"));
    }
    let Some(value) = value else {
        return match m.type_code {
            6 | 16 => Ok(MemberValue::Delete),
            _ => Err(type_error(vm, "can't delete numeric/char attribute")),
        };
    };
    let int = |lo: i128, hi: i128| -> PyResult<MemberValue> {
        let i = value.try_index(vm)?;
        let v = i128::try_from(i.as_bigint()).ok().filter(|v| (lo..=hi).contains(v));
        v.map(MemberValue::Int).ok_or_else(|| new_error(vm, vm.ctx.exceptions.overflow_error, "Python int too large to convert to C long"))
    };
    match m.type_code {
        14 => {
            if !value.class().is(vm.ctx.types.bool_type) {
                return Err(type_error(vm, "attribute value type must be bool"));
            }
            Ok(MemberValue::Bool(value.clone().is_true(vm)?))
        }
        // Small integer types truncate, as CPython's do.
        0 | 1 | 8 | 9 | 10 | 11 => int(i64::MIN as i128, u64::MAX as i128),
        2 | 17 | 19 => int(i64::MIN as i128, i64::MAX as i128),
        12 | 18 => int(i64::MIN as i128, u64::MAX as i128),
        3 | 4 => Ok(MemberValue::F64(value.try_float(vm)?.to_f64())),
        6 | 16 => Ok(MemberValue::Obj),
        7 => match value.downcast_ref::<rustpython_vm::builtins::PyStr>().map(|s| s.as_bytes().to_vec()) {
            Some(b) if b.len() == 1 => Ok(MemberValue::Char(b[0])),
            _ => Err(type_error(vm, "bad argument type for built-in operation")),
        },
        5 | 13 => Err(type_error(vm, "readonly attribute")),
        _ => Err(system_error(vm, format!("bad memberdescr type for {}", cstr_static(m.name).unwrap_or("?")))),
    }
}

/// Stores a converted value into member `m` at `a` (`PyMember_SetOne`).
///
/// # Safety
/// `a` must point at a field of the C type `m.type_code` names.
pub(crate) unsafe fn store_at(vm: &VirtualMachine, m: &PyMemberDef, a: *mut u8, v: MemberValue, value: Option<&PyObjectRef>) -> PyResult<()> {
    // SAFETY: the caller guarantees the field's type.
    unsafe {
        match (m.type_code, v) {
            (16, MemberValue::Delete) if (*a.cast::<*mut PyObject>()).is_null() => {
                return Err(vm.new_attribute_error(cstr_static(m.name).unwrap_or("?").to_owned()));
            }
            (_, MemberValue::Delete) => bridge::xdecref(std::mem::replace(&mut *a.cast::<*mut PyObject>(), std::ptr::null_mut())),
            (0 | 11, MemberValue::Int(v)) => *a.cast::<i16>() = v as i16,
            (1 | 10, MemberValue::Int(v)) => *a.cast::<i32>() = v as i32,
            (8 | 9, MemberValue::Int(v)) => *a = v as u8,
            (_, MemberValue::Int(v)) => *a.cast::<i64>() = v as i64,
            (3, MemberValue::F64(f)) => *a.cast::<f32>() = f as f32,
            (_, MemberValue::F64(f)) => *a.cast::<f64>() = f,
            (_, MemberValue::Bool(b)) => *a = b as u8,
            (_, MemberValue::Char(c)) => *a = c,
            (_, MemberValue::Obj) => {
                let new = value.map_or(std::ptr::null_mut(), |v| bridge::to_c(vm, v));
                let old = std::mem::replace(&mut *a.cast::<*mut PyObject>(), new);
                bridge::xdecref(old);
            }
        }
    }
    Ok(())
}
