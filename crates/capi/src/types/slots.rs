//! Slot wrappers: a twin type exposes its C type's slots as CPython's slot
//! wrappers (`__repr__`, `__add__`/`__radd__`, `__getitem__`, `__len__`,
//! `__call__`, rich comparisons, descriptors, `__init__`, `__del__`, ...).

use rustpython_vm::builtins::PyType;
use rustpython_vm::function::{FuncArgs, ItemDoc, PyMethodFlags};
use rustpython_vm::{AsObject, Py, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_int, c_void};
use std::mem::offset_of;

use crate::abi::*;
use crate::bridge;
use crate::objects::methodobject::{c_args_kwargs, c_result};
use crate::runtime::{Shared, errors, gil, system_error, type_error};
use super::heaptype::*;

// ---- slot wrappers --------------------------------------------------------------------

/// How a dunder wrapper calls its C slot.
#[derive(Clone, Copy)]
pub(super) enum Call {
    Unary,
    Binary,
    BinaryReflected,
    Ternary,
    TernaryReflected,
    Inquiry,
    Len,
    Hash,
    Call,
    Next,
    RichCmp(c_int),
    SetAttr,
    DelAttr,
    DescrGet,
    DescrSet,
    DescrDelete,
    Init,
    SetItem,
    DelItem,
    SsizeItem,
    SsizeSetItem,
    SsizeDelItem,
    SsizeArg,
    Contains,
    Finalize,
}

pub(super) fn obj_args(vm: &VirtualMachine, args: &FuncArgs, n: usize, name: &str) -> PyResult<Vec<*mut PyObject>> {
    if args.args.len() != n || !args.kwargs.is_empty() {
        return Err(type_error(vm, format!("{name} expected {} argument{}, got {}", n - 1, if n == 2 { "" } else { "s" }, args.args.len().saturating_sub(1))));
    }
    Ok(args.args.iter().map(|a| bridge::to_c(vm, a)).collect())
}

pub(super) fn int_result(vm: &VirtualMachine, r: c_int, name: &str) -> PyResult<c_int> {
    if r == -1 {
        if let Some(e) = errors::take() {
            return Err(e);
        }
    }
    let _ = (vm, name);
    Ok(r)
}

pub(super) fn index_arg(vm: &VirtualMachine, o: &PyObjectRef) -> PyResult<isize> {
    let i = o.try_index(vm)?;
    isize::try_from(i.as_bigint()).map_err(|_| crate::runtime::new_error(vm, vm.ctx.exceptions.index_error, "cannot fit 'int' into an index-sized integer"))
}

/// Calls slot `f` (of kind `call`) for a dunder invocation `args` (self first).
pub(super) fn call_slot(vm: &VirtualMachine, name: &'static str, call: Call, f: *mut c_void, args: FuncArgs) -> PyResult {
    let _g = gil::ensure(vm);
    bridge::bump_epoch();
    // SAFETY (all arms): f is the C slot the type registered for this dunder,
    // with the signature `call` names; every argument is a new reference we release.
    unsafe {
        macro_rules! with_args {
            ($n:expr, |$a:ident| $body:expr) => {{
                let $a = obj_args(vm, &args, $n, name)?;
                let r = $body;
                for p in &$a {
                    bridge::decref(*p);
                }
                r
            }};
        }
        match call {
            Call::Unary => with_args!(1, |a| c_result(vm, std::mem::transmute::<_, unaryfunc>(f)(a[0]), name)),
            Call::Binary => with_args!(2, |a| c_result(vm, std::mem::transmute::<_, binaryfunc>(f)(a[0], a[1]), name)),
            Call::BinaryReflected => with_args!(2, |a| c_result(vm, std::mem::transmute::<_, binaryfunc>(f)(a[1], a[0]), name)),
            Call::Ternary | Call::TernaryReflected => {
                let mut v = args.args.clone();
                if v.len() == 2 {
                    v.push(vm.ctx.none());
                }
                if v.len() != 3 {
                    return Err(type_error(vm, format!("{name} expected 1 or 2 arguments")));
                }
                let a: Vec<_> = v.iter().map(|x| bridge::to_c(vm, x)).collect();
                let (x, y) = if matches!(call, Call::Ternary) { (a[0], a[1]) } else { (a[1], a[0]) };
                let r = c_result(vm, std::mem::transmute::<_, ternaryfunc>(f)(x, y, a[2]), name);
                a.iter().for_each(|p| bridge::decref(*p));
                r
            }
            Call::Inquiry => with_args!(1, |a| {
                let r = int_result(vm, std::mem::transmute::<_, inquiry>(f)(a[0]), name);
                r.map(|v| vm.ctx.new_bool(v != 0).into())
            }),
            Call::Len => with_args!(1, |a| {
                let r = std::mem::transmute::<_, lenfunc>(f)(a[0]);
                if r < 0 {
                    Err(errors::take().unwrap_or_else(|| system_error(vm, format!("{name} returned a negative length without an exception"))))
                } else {
                    Ok(vm.ctx.new_int(r).into())
                }
            }),
            Call::Hash => with_args!(1, |a| {
                let r = std::mem::transmute::<_, hashfunc>(f)(a[0]);
                match errors::take() {
                    Some(e) if r == -1 => Err(e),
                    _ => Ok(vm.ctx.new_int(r).into()),
                }
            }),
            Call::Call => {
                let mut v = args.args;
                if v.is_empty() {
                    return Err(type_error(vm, format!("{name} needs self")));
                }
                let slf = bridge::to_c(vm, &v.remove(0));
                let (a, k) = c_args_kwargs(vm, FuncArgs::new(v, args.kwargs))?;
                let r = c_result(vm, std::mem::transmute::<_, ternaryfunc>(f)(slf, a, k), name);
                release2(a, k);
                bridge::decref(slf);
                r
            }
            Call::Next => with_args!(1, |a| {
                let r = std::mem::transmute::<_, unaryfunc>(f)(a[0]);
                if r.is_null() && !errors::is_set() {
                    Err(vm.new_exception_empty(vm.ctx.exceptions.stop_iteration.to_owned()))
                } else {
                    c_result(vm, r, name)
                }
            }),
            Call::RichCmp(op) => with_args!(2, |a| c_result(vm, std::mem::transmute::<_, richcmpfunc>(f)(a[0], a[1], op), name)),
            Call::SetAttr => with_args!(3, |a| int_result(vm, std::mem::transmute::<_, setattrofunc>(f)(a[0], a[1], a[2]), name).map(|_| vm.ctx.none())),
            Call::DelAttr => with_args!(2, |a| int_result(vm, std::mem::transmute::<_, setattrofunc>(f)(a[0], a[1], std::ptr::null_mut()), name).map(|_| vm.ctx.none())),
            Call::DescrGet => {
                let mut v = args.args.clone();
                if v.len() == 2 {
                    v.push(vm.ctx.none());
                }
                if v.len() != 3 {
                    return Err(type_error(vm, format!("{name} expected 1 or 2 arguments")));
                }
                let a: Vec<_> = v.iter().map(|x| if vm.is_none(x) { std::ptr::null_mut() } else { bridge::to_c(vm, x) }).collect();
                let r = c_result(vm, std::mem::transmute::<_, descrgetfunc>(f)(a[0], a[1], a[2]), name);
                a.iter().for_each(|p| bridge::xdecref(*p));
                r
            }
            Call::DescrSet => with_args!(3, |a| int_result(vm, std::mem::transmute::<_, descrsetfunc>(f)(a[0], a[1], a[2]), name).map(|_| vm.ctx.none())),
            Call::DescrDelete => with_args!(2, |a| int_result(vm, std::mem::transmute::<_, descrsetfunc>(f)(a[0], a[1], std::ptr::null_mut()), name).map(|_| vm.ctx.none())),
            Call::Init => {
                let mut v = args.args;
                let slf = bridge::to_c(vm, &v.remove(0));
                let (a, k) = c_args_kwargs(vm, FuncArgs::new(v, args.kwargs))?;
                let r = int_result(vm, std::mem::transmute::<_, initproc>(f)(slf, a, k), name);
                release2(a, k);
                bridge::decref(slf);
                r.map(|_| vm.ctx.none())
            }
            Call::SetItem => with_args!(3, |a| int_result(vm, std::mem::transmute::<_, objobjargproc>(f)(a[0], a[1], a[2]), name).map(|_| vm.ctx.none())),
            Call::DelItem => with_args!(2, |a| int_result(vm, std::mem::transmute::<_, objobjargproc>(f)(a[0], a[1], std::ptr::null_mut()), name).map(|_| vm.ctx.none())),
            Call::SsizeItem | Call::SsizeArg => {
                if args.args.len() != 2 {
                    return Err(type_error(vm, format!("{name} expected 1 argument")));
                }
                let i = index_arg(vm, &args.args[1])?;
                let slf = bridge::to_c(vm, &args.args[0]);
                let r = c_result(vm, std::mem::transmute::<_, ssizeargfunc>(f)(slf, i), name);
                bridge::decref(slf);
                r
            }
            Call::SsizeSetItem | Call::SsizeDelItem => {
                let want = if matches!(call, Call::SsizeSetItem) { 3 } else { 2 };
                if args.args.len() != want {
                    return Err(type_error(vm, format!("{name} expected {} argument(s)", want - 1)));
                }
                let i = index_arg(vm, &args.args[1])?;
                let slf = bridge::to_c(vm, &args.args[0]);
                let v = if want == 3 { bridge::to_c(vm, &args.args[2]) } else { std::ptr::null_mut() };
                let r = int_result(vm, std::mem::transmute::<_, ssizeobjargproc>(f)(slf, i, v), name);
                bridge::decref(slf);
                bridge::xdecref(v);
                r.map(|_| vm.ctx.none())
            }
            Call::Contains => with_args!(2, |a| int_result(vm, std::mem::transmute::<_, objobjproc>(f)(a[0], a[1]), name).map(|v| vm.ctx.new_bool(v != 0).into())),
            Call::Finalize => with_args!(1, |a| {
                if !bridge::is_native(a[0]) || bridge::set_finalized(a[0]) {
                    std::mem::transmute::<_, destructor>(f)(a[0]);
                }
                match errors::take() {
                    Some(e) => Err(e),
                    None => Ok(vm.ctx.none()),
                }
            }),
        }
    }
}


/// Adds a method descriptor `name` to `cls` calling C slot `f` as `call`.
pub(super) fn add_wrapper(vm: &VirtualMachine, cls: &'static Py<PyType>, name: &'static str, call: Call, f: *mut c_void) -> PyResult<()> {
    let f = Shared(f);
    let def = vm.ctx.new_method_def(
        name,
        move |args: FuncArgs, vm: &VirtualMachine| -> PyResult {
            let f = &f;
            call_slot(vm, name, call, f.0, args)
        },
        PyMethodFlags::METHOD,
        ItemDoc::NONE,
    );
    let descr = def.build_method(cls, vm);
    cls.as_object().set_attr(name, descr, vm)
}

/// CPython's slotdefs: dunder wrappers for the slots the C type defines.
pub(super) fn install_slot_wrappers(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject) -> PyResult<()> {
    let s = |off: usize| read_slot(tp, off);
    let add = |name: &'static str, call: Call, off: usize| -> PyResult<()> {
        let f = s(off);
        if f.is_null() { Ok(()) } else { add_wrapper(vm, cls, name, call, f) }
    };
    add("__repr__", Call::Unary, tp!(tp_repr))?;
    add("__str__", Call::Unary, tp!(tp_str))?;
    add("__hash__", Call::Hash, tp!(tp_hash))?;
    add("__call__", Call::Call, tp!(tp_call))?;
    add("__iter__", Call::Unary, tp!(tp_iter))?;
    add("__next__", Call::Next, tp!(tp_iternext))?;
    if read_slot(tp, tp!(tp_getattro)) != crate::objects::object::PyObject_GenericGetAttr as *mut c_void {
        add("__getattribute__", Call::Binary, tp!(tp_getattro))?;
    }
    if read_slot(tp, tp!(tp_setattro)) != crate::objects::object::PyObject_GenericSetAttr as *mut c_void {
        add("__setattr__", Call::SetAttr, tp!(tp_setattro))?;
        add("__delattr__", Call::DelAttr, tp!(tp_setattro))?;
    }
    for (name, op) in [("__lt__", Py_LT), ("__le__", Py_LE), ("__eq__", Py_EQ), ("__ne__", Py_NE), ("__gt__", Py_GT), ("__ge__", Py_GE)] {
        add(name, Call::RichCmp(op), tp!(tp_richcompare))?;
    }
    add("__get__", Call::DescrGet, tp!(tp_descr_get))?;
    add("__set__", Call::DescrSet, tp!(tp_descr_set))?;
    add("__delete__", Call::DescrDelete, tp!(tp_descr_set))?;
    add("__init__", Call::Init, tp!(tp_init))?;
    add("__del__", Call::Finalize, tp!(tp_finalize))?;
    let binary: [(&'static str, &'static str, usize); 13] = [
        ("__add__", "__radd__", nb!(nb_add)),
        ("__sub__", "__rsub__", nb!(nb_subtract)),
        ("__mul__", "__rmul__", nb!(nb_multiply)),
        ("__mod__", "__rmod__", nb!(nb_remainder)),
        ("__divmod__", "__rdivmod__", nb!(nb_divmod)),
        ("__lshift__", "__rlshift__", nb!(nb_lshift)),
        ("__rshift__", "__rrshift__", nb!(nb_rshift)),
        ("__and__", "__rand__", nb!(nb_and)),
        ("__xor__", "__rxor__", nb!(nb_xor)),
        ("__or__", "__ror__", nb!(nb_or)),
        ("__floordiv__", "__rfloordiv__", nb!(nb_floor_divide)),
        ("__truediv__", "__rtruediv__", nb!(nb_true_divide)),
        ("__matmul__", "__rmatmul__", nb!(nb_matrix_multiply)),
    ];
    for (n, r, off) in binary {
        add(n, Call::Binary, off)?;
        add(r, Call::BinaryReflected, off)?;
    }
    add("__pow__", Call::Ternary, nb!(nb_power))?;
    add("__rpow__", Call::TernaryReflected, nb!(nb_power))?;
    let unary: [(&'static str, usize); 8] = [
        ("__neg__", nb!(nb_negative)),
        ("__pos__", nb!(nb_positive)),
        ("__abs__", nb!(nb_absolute)),
        ("__invert__", nb!(nb_invert)),
        ("__int__", nb!(nb_int)),
        ("__float__", nb!(nb_float)),
        ("__index__", nb!(nb_index)),
        ("__await__", am!(am_await)),
    ];
    for (n, off) in unary {
        add(n, Call::Unary, off)?;
    }
    add("__aiter__", Call::Unary, am!(am_aiter))?;
    add("__anext__", Call::Unary, am!(am_anext))?;
    add("__bool__", Call::Inquiry, nb!(nb_bool))?;
    let inplace: [(&'static str, usize); 13] = [
        ("__iadd__", nb!(nb_inplace_add)),
        ("__isub__", nb!(nb_inplace_subtract)),
        ("__imul__", nb!(nb_inplace_multiply)),
        ("__imod__", nb!(nb_inplace_remainder)),
        ("__ilshift__", nb!(nb_inplace_lshift)),
        ("__irshift__", nb!(nb_inplace_rshift)),
        ("__iand__", nb!(nb_inplace_and)),
        ("__ixor__", nb!(nb_inplace_xor)),
        ("__ior__", nb!(nb_inplace_or)),
        ("__ifloordiv__", nb!(nb_inplace_floor_divide)),
        ("__itruediv__", nb!(nb_inplace_true_divide)),
        ("__imatmul__", nb!(nb_inplace_matrix_multiply)),
        ("__ipow__", nb!(nb_inplace_power)),
    ];
    for (n, off) in inplace {
        if n == "__ipow__" {
            add(n, Call::Ternary, off)?;
        } else {
            add(n, Call::Binary, off)?;
        }
    }
    // Mapping before sequence, as CPython's slotdefs order resolves them.
    if !s(mp!(mp_length)).is_null() {
        add("__len__", Call::Len, mp!(mp_length))?;
    } else {
        add("__len__", Call::Len, sq!(sq_length))?;
    }
    if !s(mp!(mp_subscript)).is_null() {
        add("__getitem__", Call::Binary, mp!(mp_subscript))?;
    } else {
        add("__getitem__", Call::SsizeItem, sq!(sq_item))?;
    }
    if !s(mp!(mp_ass_subscript)).is_null() {
        add("__setitem__", Call::SetItem, mp!(mp_ass_subscript))?;
        add("__delitem__", Call::DelItem, mp!(mp_ass_subscript))?;
    } else {
        add("__setitem__", Call::SsizeSetItem, sq!(sq_ass_item))?;
        add("__delitem__", Call::SsizeDelItem, sq!(sq_ass_item))?;
    }
    add("__contains__", Call::Contains, sq!(sq_contains))?;
    if s(nb!(nb_add)).is_null() {
        add("__add__", Call::Binary, sq!(sq_concat))?;
    }
    if s(nb!(nb_multiply)).is_null() {
        add("__mul__", Call::SsizeArg, sq!(sq_repeat))?;
        add("__rmul__", Call::SsizeArg, sq!(sq_repeat))?;
    }
    if s(nb!(nb_inplace_add)).is_null() {
        add("__iadd__", Call::Binary, sq!(sq_inplace_concat))?;
    }
    if s(nb!(nb_inplace_multiply)).is_null() {
        add("__imul__", Call::SsizeArg, sq!(sq_inplace_repeat))?;
    }
    Ok(())
}

