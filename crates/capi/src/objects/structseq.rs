//! `structseq.h`: struct sequences (named tuples such as `os.stat_result`).
//!
//! A type is a Python class deriving from `tuple` (made by [`FACTORY_SRC`])
//! with CPython's `n_sequence_fields`/`n_fields`/`n_unnamed_fields`,
//! read-only field properties, `__new__(sequence, dict=None)`, `__repr__`,
//! `__reduce__`, `__replace__` and `__match_args__`. Instances hold the
//! visible fields as tuple items and the hidden ones (index >=
//! `n_in_sequence`) in their `__dict__`. `PyStructSequence_New` returns a
//! tuple builder of the type with `n_fields` slots and `ob_size` =
//! `n_in_sequence`, so C fills it in place (and `PyTuple_GET_ITEM` works) until
//! it first crosses into Python, where [`realise`] makes the instance.

use parking_lot::Mutex;
use rustpython_vm::builtins::{PyTuple, PyType};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int};

use super::{cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge::{self, builders};
use crate::runtime::{api, system_error};

/// `PyStructSequence_Field`.
#[repr(C)]
pub struct PyStructSequence_Field {
    pub name: *const c_char,
    pub doc: *const c_char,
}

/// `PyStructSequence_Desc`.
#[repr(C)]
pub struct PyStructSequence_Desc {
    pub name: *const c_char,
    pub doc: *const c_char,
    pub fields: *mut PyStructSequence_Field,
    pub n_in_sequence: c_int,
}

/// A `const char *` data symbol.
#[repr(transparent)]
pub struct CStrPtr(*const c_char);
// SAFETY: points to immutable static data.
unsafe impl Sync for CStrPtr {}

/// `PyStructSequence_UnnamedField`: a field whose name is this pointer is
/// unnamed (it has no attribute; CPython compares the pointer).
#[unsafe(no_mangle)]
pub static PyStructSequence_UnnamedField: CStrPtr = CStrPtr(c"unnamed field".as_ptr());

const FACTORY_SRC: &str = r#"
def _structseq_type(tp_name, doc, fields, n_seq):
    module, _, name = tp_name.rpartition('.')
    n_fields = len(fields)
    n_unnamed = sum(1 for f, _ in fields if f is None)
    visible = [(i, f) for i, (f, _) in enumerate(fields[:n_seq]) if f is not None]
    # Hidden fields live in the instance __dict__ (an unnamed one under a
    # key no attribute can spell, with no property).
    hidden = [f if f is not None else f"<unnamed field {i}>" for i, (f, _) in enumerate(fields) if i >= n_seq]

    def __new__(cls, sequence, dict=None):
        seq = tuple(sequence)
        ln, lo, hi = len(seq), n_seq, n_fields
        if ln < lo or ln > hi:
            if lo == hi:
                raise TypeError(f"{tp_name}() takes a {lo}-sequence ({ln}-sequence given)")
            if ln < lo:
                raise TypeError(f"{tp_name}() takes an at least {lo}-sequence ({ln}-sequence given)")
            raise TypeError(f"{tp_name}() takes an at most {hi}-sequence ({ln}-sequence given)")
        if dict is not None and not isinstance(dict, type({})):
            raise TypeError(f"{tp_name}() takes a dict as second arg, if any")
        self = tuple.__new__(cls, seq[:n_seq])
        d = self.__dict__
        for i, f in enumerate(hidden, n_seq):
            d[f] = seq[i] if i < ln else (dict.get(f) if dict is not None else None)
        return self

    named = [f for f, _ in fields if f is not None]

    def __repr__(self):
        # CPython pairs visible item i with the i-th *named* field (its
        # tp_members skip unnamed fields), and fails when they run out.
        parts = []
        for i in range(n_seq):
            if i >= len(named):
                raise SystemError(f"In structseq_repr(), member {i} name is NULL for type {tp_name}")
            parts.append(f"{named[i]}={tuple.__getitem__(self, i)!r}")
        return f"{tp_name}(" + ", ".join(parts) + ")"

    def __reduce__(self):
        return (type(self), (tuple(self), {f: self.__dict__[f] for f in hidden}))

    def __replace__(self, /, **kwargs):
        if n_unnamed:
            raise TypeError(f"__replace__() is not supported for {tp_name} because it has unnamed field(s)")
        names = [f for f, _ in fields]
        unknown = [k for k in kwargs if k not in names]
        if unknown:
            raise TypeError(f"Got unexpected field name(s): {unknown!r}")
        items = list(self) + [self.__dict__[f] for f in hidden]
        for k, v in kwargs.items():
            items[names.index(k)] = v
        return type(self)(items)

    ns = {
        '__new__': __new__, '__repr__': __repr__, '__reduce__': __reduce__,
        '__replace__': __replace__, '__doc__': doc,
        '__match_args__': tuple(f for _, f in visible),
        'n_sequence_fields': n_seq, 'n_fields': n_fields, 'n_unnamed_fields': n_unnamed,
        '__module__': module or 'builtins', '__qualname__': name,
    }
    for i, f in visible:
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i), doc=fields[i][1])
    for i, (f, fdoc) in enumerate(fields):
        if i >= n_seq and f is not None:
            ns[f] = property(lambda self, f=f: self.__dict__[f], doc=fdoc)
    return type(name, (tuple,), ns)
"#;

static FACTORY: Mutex<Option<PyObjectRef>> = Mutex::new(None);

fn factory(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    if let Some(f) = FACTORY.lock().clone() {
        return Ok(f);
    }
    let scope = vm.new_scope_with_builtins();
    vm.run_string(scope.clone(), FACTORY_SRC, "<structseq>")?;
    let f = scope.globals.get_item("_structseq_type", vm)?;
    *FACTORY.lock() = Some(f.clone());
    Ok(f)
}

/// An optional C string as str or None.
fn opt_str(vm: &VirtualMachine, s: *const c_char) -> PyResult<PyObjectRef> {
    if s.is_null() { Ok(vm.ctx.none()) } else { Ok(vm.ctx.new_str(cstr(vm, s)?).into()) }
}

/// The RustPython class a descriptor describes.
fn make_type(vm: &VirtualMachine, desc: *mut PyStructSequence_Desc) -> PyResult<PyObjectRef> {
    if desc.is_null() {
        return Err(system_error(vm, "bad argument to internal function"));
    }
    // SAFETY: C passes a valid descriptor whose field array ends with a NULL name.
    let d = unsafe { &*desc };
    let mut fields = Vec::new();
    let mut f = d.fields;
    // SAFETY: as above.
    while !f.is_null() && !unsafe { (*f).name }.is_null() {
        // SAFETY: f is within the array.
        let fd = unsafe { &*f };
        let name = if fd.name == PyStructSequence_UnnamedField.0 { vm.ctx.none() } else { opt_str(vm, fd.name)? };
        fields.push(vm.ctx.new_tuple(vec![name, opt_str(vm, fd.doc)?]).into());
        // SAFETY: the terminator has not been reached.
        f = unsafe { f.add(1) };
    }
    let n_seq = d.n_in_sequence;
    if n_seq < 0 || n_seq as usize > fields.len() {
        return Err(system_error(vm, "n_in_sequence out of range"));
    }
    let args: Vec<PyObjectRef> = vec![
        vm.ctx.new_str(cstr(vm, d.name)?).into(),
        opt_str(vm, d.doc)?,
        vm.ctx.new_list(fields).into(),
        vm.ctx.new_int(n_seq).into(),
    ];
    factory(vm)?.call(args, vm)
}

/// New reference to a new heap struct-sequence type made from `desc`.
#[unsafe(no_mangle)]
pub extern "C" fn PyStructSequence_NewType(desc: *mut PyStructSequence_Desc) -> *mut PyObject {
    new_ref("PyStructSequence_NewType", |vm| make_type(vm, desc)).cast()
}

/// Fills the static (zeroed) type object `ty` from `desc`: 0, or -1 with an
/// exception (SystemError if `ty` was already initialised).
#[unsafe(no_mangle)]
pub extern "C" fn PyStructSequence_InitType2(ty: *mut PyTypeObject, desc: *mut PyStructSequence_Desc) -> c_int {
    api("PyStructSequence_InitType2", |vm| {
        // SAFETY: ty points to a type object (zeroed when never initialised).
        if ty.is_null() || unsafe { (*ty).ob_base.ob_base.ob_refcnt } != 0 {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let cls = make_type(vm, desc)?.downcast::<PyType>().map_err(|_| system_error(vm, "struct sequence type expected"))?;
        crate::types::adopt_static_type(vm, ty, &cls);
        Ok(0)
    })
}

/// `PyStructSequence_InitType2` without a result (errors stay set).
#[unsafe(no_mangle)]
pub extern "C" fn PyStructSequence_InitType(ty: *mut PyTypeObject, desc: *mut PyStructSequence_Desc) {
    PyStructSequence_InitType2(ty, desc);
}

/// `(n_sequence_fields, n_fields)` of a struct-sequence class.
fn sizes(vm: &VirtualMachine, cls: &PyObjectRef) -> PyResult<(usize, usize)> {
    let get = |a: &'static str| -> PyResult<usize> {
        let v = cls.get_attr(a, vm).map_err(|_| system_error(vm, "not a struct sequence type"))?;
        v.try_index(vm)?.try_to_primitive::<usize>(vm)
    };
    Ok((get("n_sequence_fields")?, get("n_fields")?))
}

/// New reference to an instance of `ty` with all fields NULL, for C to fill
/// with `PyStructSequence_SetItem` before it is used.
#[unsafe(no_mangle)]
pub extern "C" fn PyStructSequence_New(ty: *mut PyTypeObject) -> *mut PyObject {
    api("PyStructSequence_New", |vm| {
        let cls = rp(vm, ty.cast())?;
        let (n_seq, n_fields) = sizes(vm, &cls)?;
        let p = builders::new_tuple(ty, n_fields);
        // SAFETY: tuple layout; the hidden fields follow the visible ones.
        unsafe { (*p.cast::<PyVarObject>()).ob_size = n_seq as isize };
        Ok(p)
    })
}

/// Slot `i` of a struct-sequence builder or mirror.
fn slot(p: *mut PyObject, i: usize) -> *mut *mut PyObject {
    // SAFETY: callers check i against the object's slot count.
    unsafe { p.cast::<u8>().add(TUPLE_ITEMS_OFFSET).cast::<*mut PyObject>().add(i) }
}

/// The name of hidden field `i` of `cls`.
fn hidden_name(vm: &VirtualMachine, obj: &PyObjectRef, i: usize) -> PyResult<PyObjectRef> {
    let cls: PyObjectRef = obj.class().to_owned().into();
    let (n_seq, n_fields) = sizes(vm, &cls)?;
    if i < n_seq || i >= n_fields {
        return Err(vm.new_index_error("tuple index out of range".to_owned()));
    }
    // The class's hidden-field properties follow its __match_args__ order:
    // recover the names from the instance's __dict__ insertion order.
    let d = obj.dict().ok_or_else(|| system_error(vm, "struct sequence without hidden fields"))?;
    let keys: Vec<PyObjectRef> = d.into_iter().map(|(k, _)| k).collect();
    keys.get(i - n_seq).cloned().ok_or_else(|| vm.new_index_error("tuple index out of range".to_owned()))
}

/// Borrowed reference to field `i` (visible or hidden); NULL if C has not set it yet.
#[unsafe(no_mangle)]
pub extern "C" fn PyStructSequence_GetItem(p: *mut PyObject, i: Py_ssize_t) -> *mut PyObject {
    api("PyStructSequence_GetItem", |vm| {
        if i < 0 {
            return Err(vm.new_index_error("tuple index out of range".to_owned()));
        }
        let i = i as usize;
        if builders::is_unrealised(p) {
            // SAFETY: a builder keeps its type pointer.
            let cls = rp(vm, unsafe { (*p).ob_type }.cast())?;
            if i >= sizes(vm, &cls)?.1 {
                return Err(vm.new_index_error("tuple index out of range".to_owned()));
            }
            // SAFETY: in range of the builder's n_fields slots.
            return Ok(unsafe { *slot(p, i) });
        }
        let obj = rp(vm, p)?;
        let t = obj.downcast_ref::<PyTuple>().ok_or_else(|| system_error(vm, "bad argument to internal function"))?;
        if i < t.len() {
            // SAFETY: a tuple mirror carries its items inline.
            return Ok(unsafe { *slot(p, i) });
        }
        let name = hidden_name(vm, &obj, i)?;
        let v = obj.dict().map(|d| d.get_item(&*name, vm)).transpose()?.unwrap_or_else(|| vm.ctx.none());
        Ok(bridge::borrow_from(vm, p, &v))
    })
}

/// Stores `v` (stolen) as field `i` of a new instance that C is filling;
/// on an instance already shared with Python only hidden fields can change
/// (its tuple items are immutable there), and `v` is released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyStructSequence_SetItem(p: *mut PyObject, i: Py_ssize_t, v: *mut PyObject) {
    api("PyStructSequence_SetItem", |vm| {
        if builders::is_unrealised(p) {
            // SAFETY: a builder's type pointer.
            let cls = rp(vm, unsafe { (*p).ob_type }.cast())?;
            if i < 0 || i as usize >= sizes(vm, &cls)?.1 {
                // SAFETY: the reference was stolen.
                unsafe { bridge::xdecref(v) };
                return Err(vm.new_index_error("tuple index out of range".to_owned()));
            }
            // SAFETY: in range; like PyTuple_SET_ITEM, the old value is not released.
            unsafe { *slot(p, i as usize) = v };
            return Ok(());
        }
        let r = (|| -> PyResult<()> {
            let obj = rp(vm, p)?;
            let name = hidden_name(vm, &obj, i.max(0) as usize)?;
            let val = rp(vm, v)?;
            obj.dict().ok_or_else(|| system_error(vm, "bad argument to internal function"))?.set_item(&*name, val, vm)
        })();
        // SAFETY: the reference was stolen.
        unsafe { bridge::xdecref(v) };
        r
    })
}

/// Lets the bridge realise struct sequences built in place.
pub(crate) fn install() {
    crate::bridge::builders::set_struct_seq_maker(realise);
}

/// Makes the Python instance of struct-sequence builder `p` of type `tp`
/// from its visible `items`, taking the hidden slots' references.
fn realise(vm: &VirtualMachine, p: *mut PyObject, tp: *mut PyTypeObject, items: Vec<PyObjectRef>) -> PyResult<PyObjectRef> {
    let cls = rp(vm, tp.cast())?;
    let ty = cls.clone().downcast::<PyType>().map_err(|_| system_error(vm, "tuple builder of a non-type"))?;
    let (n_seq, n_fields) = sizes(vm, &cls)?;
    let mut all = items;
    for i in n_seq..n_fields {
        let s = slot(p, i);
        // SAFETY: the builder has n_fields slots; each holds a reference or NULL.
        let it = unsafe { *s };
        if it.is_null() {
            return Err(system_error(vm, format!("struct sequence field {i} was never set")));
        }
        all.push(rp(vm, it)?);
        // SAFETY: the slot's reference is taken by the instance.
        unsafe {
            *s = std::ptr::null_mut();
            bridge::decref(it);
        }
    }
    ty.as_object().call((vm.ctx.new_tuple(all),), vm)
}

