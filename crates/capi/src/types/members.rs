//! `tp_methods` as method descriptors / classmethods / staticmethods, and
//! `tp_getset` and `tp_members` as getset descriptors of a twin type.

use rustpython_vm::builtins::{PyGetSet, PyType};
use rustpython_vm::function::{FuncArgs, ItemDoc, PyMethodFlags, PySetterValue};
use rustpython_vm::{AsObject, Py, PyObjectRef, PyRef, PyResult, VirtualMachine};

use crate::abi::*;
use crate::bridge;
use crate::objects::methodobject::{c_result, call_def};
use crate::runtime::{Shared, gil, system_error, type_error};
use super::heaptype::*;

// ---- methods, getsets, members ------------------------------------------------------------

pub(super) fn install_methods(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject) -> PyResult<()> {
    // SAFETY: tp_methods is a static array ending with a NULL name.
    let mut ml = unsafe { (*tp).tp_methods };
    while !ml.is_null() && !unsafe { (*ml).ml_name }.is_null() {
        // SAFETY: within the array.
        let (name, flags, doc) = unsafe { (cstr_static((*ml).ml_name).unwrap_or("?"), (*ml).ml_flags, cstr_static((*ml).ml_doc)) };
        let value: PyObjectRef = if flags & METH_STATIC != 0 {
            let f = crate::objects::methodobject::make_function(vm, ml, std::ptr::null_mut(), None, tp)?;
            vm.ctx.types.staticmethod_type.as_object().call((f,), vm)?
        } else {
            let def = Shared(ml);
            let cls_ptr = tp as usize;
            let is_class = flags & METH_CLASS != 0;
            let func = move |mut args: FuncArgs, vm: &VirtualMachine| -> PyResult {
                let d = &def;
                if args.args.is_empty() {
                    return Err(type_error(vm, "descriptor needs an argument"));
                }
                let _g = gil::ensure(vm);
                bridge::bump_epoch();
                let slf = bridge::to_c(vm, &args.args.remove(0));
                let r = call_def(vm, d.0, slf, cls_ptr as *mut PyTypeObject, args);
                // SAFETY: our reference from to_c.
                unsafe { bridge::decref(slf) };
                r
            };
            let doc = doc.map_or(ItemDoc::NONE, ItemDoc::static_text);
            if is_class {
                let f = vm.ctx.new_method_def(name, func, PyMethodFlags::empty(), doc).build_function(vm, None);
                vm.ctx.types.classmethod_type.as_object().call((f,), vm)?
            } else {
                vm.ctx.new_method_def(name, func, PyMethodFlags::METHOD, doc).build_method(cls, vm).into()
            }
        };
        // Direct insertion: `type.__setattr__` would run descriptors like `__dict__`.
        cls.set_attr(vm.ctx.intern_str(name), value);
        // SAFETY: next entry.
        ml = unsafe { ml.add(1) };
    }
    Ok(())
}



pub(super) fn install_getsets(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject) -> PyResult<()> {
    // SAFETY: tp_getset is a static array ending with a NULL name.
    let mut gs = unsafe { (*tp).tp_getset }.cast::<PyGetSetDef>();
    while !gs.is_null() && !unsafe { (*gs).name }.is_null() {
        let g = Shared(gs.cast_const());
        // SAFETY: within the array.
        let (name, has_get, has_set) = unsafe { (cstr_static((*gs).name).unwrap_or("?"), (*gs).get.is_some(), (*gs).set.is_some()) };
        let mut descr = PyGetSet::new(name, cls, &vm.ctx);
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
        let descr = PyRef::new_ref(descr, vm.ctx.types.getset_type.to_owned(), None);
        cls.set_attr(vm.ctx.intern_str(name), descr.into());
        // SAFETY: next entry.
        gs = unsafe { gs.add(1) };
    }
    Ok(())
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
        let mem = Shared(*m);
        let mut descr = PyGetSet::new(name, cls, &vm.ctx).with_get(move |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
            let m = &mem;
            read_member(vm, m.0, &obj)
        });
        if m.flags & Py_READONLY == 0 {
            descr = descr.with_set(move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
                let m = &mem;
                match value {
                    PySetterValue::Assign(v) => write_member(vm, m.0, &obj, v),
                    PySetterValue::Delete => Err(type_error(vm, "can't delete attribute")),
                }
            });
        }
        let descr = PyRef::new_ref(descr, vm.ctx.types.getset_type.to_owned(), None);
        cls.set_attr(vm.ctx.intern_str(name), descr.into());
    }
    Ok(())
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
    // SAFETY: a points at a field of the type the member code names.
    let r: PyResult = unsafe {
        match m.type_code {
            0 => Ok(vm.ctx.new_int(*a.cast::<i16>()).into()),
            1 => Ok(vm.ctx.new_int(*a.cast::<i32>()).into()),
            2 | 17 | 19 => Ok(vm.ctx.new_int(*a.cast::<i64>()).into()),
            3 => Ok(vm.ctx.new_float(*a.cast::<f32>() as f64).into()),
            4 => Ok(vm.ctx.new_float(*a.cast::<f64>()).into()),
            7 | 8 => Ok(vm.ctx.new_int(*a.cast::<i8>()).into()),
            9 => Ok(vm.ctx.new_int(*a).into()),
            10 => Ok(vm.ctx.new_int(*a.cast::<u32>()).into()),
            11 => Ok(vm.ctx.new_int(*a.cast::<u16>()).into()),
            12 | 18 => Ok(vm.ctx.new_int(*a.cast::<u64>()).into()),
            14 => Ok(vm.ctx.new_bool(*a != 0).into()),
            6 | 16 => {
                let o = *a.cast::<*mut PyObject>();
                if o.is_null() {
                    if m.type_code == 16 {
                        Err(vm.new_attribute_error(format!("'{}' object has no attribute '{}'", obj.class().name(), cstr_static(m.name).unwrap_or("?"))))
                    } else {
                        Ok(vm.ctx.none())
                    }
                } else {
                    bridge::to_rp(vm, o)
                }
            }
            20 => Ok(vm.ctx.none()),
            code => Err(system_error(vm, format!("bad member type code {code}"))),
        }
    };
    // SAFETY: our reference from member_addr.
    unsafe { bridge::decref(p) };
    r
}

pub(super) fn write_member(vm: &VirtualMachine, m: &PyMemberDef, obj: &PyObjectRef, value: PyObjectRef) -> PyResult<()> {
    // Convert first: `__index__`, `__float__` and `__bool__` are Python code,
    // which runs without the GIL; the write itself happens under it.
    enum V {
        Int(i64),
        F64(f64),
        Bool(bool),
        Obj,
    }
    let int = |v: &PyObjectRef| -> PyResult<i64> { i64::try_from(v.try_index(vm)?.as_bigint()).map_err(|_| crate::runtime::new_error(vm, vm.ctx.exceptions.overflow_error, "Python int too large")) };
    let v = match m.type_code {
        0 | 1 | 2 | 17 | 19 | 12 | 18 => V::Int(int(&value)?),
        4 => V::F64(value.try_float(vm)?.to_f64()),
        14 => V::Bool(value.clone().is_true(vm)?),
        6 | 16 => V::Obj,
        code => return Err(system_error(vm, format!("cannot set member of type code {code}"))),
    };
    let _g = gil::ensure(vm);
    let (a, p) = member_addr(vm, m, obj)?;
    // SAFETY: a points at a field of the type the member code names.
    unsafe {
        match (m.type_code, v) {
            (0, V::Int(v)) => *a.cast::<i16>() = v as i16,
            (1, V::Int(v)) => *a.cast::<i32>() = v as i32,
            (12 | 18, V::Int(v)) => *a.cast::<u64>() = v as u64,
            (_, V::Int(v)) => *a.cast::<i64>() = v,
            (_, V::F64(f)) => *a.cast::<f64>() = f,
            (_, V::Bool(b)) => *a = b as u8,
            (_, V::Obj) => {
                let new = bridge::to_c(vm, &value);
                let old = std::mem::replace(&mut *a.cast::<*mut PyObject>(), new);
                bridge::xdecref(old);
            }
        }
        // SAFETY: our reference from member_addr.
        bridge::decref(p);
    }
    Ok(())
}

