//! Test vehicle for pyfacade: a PyO3 extension compiled against CPython's ABI
//! exactly like a PyPI wheel (never against pyfacade itself).
//!
//! Every function exercises one family of the C-API through PyO3's normal
//! code paths; `tests/python/` calls them under pyfacade and under CPython.

use std::collections::{BTreeMap, HashMap, HashSet};

use pyo3::create_exception;
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple,
};

create_exception!(facadetest, FacadeError, PyRuntimeError, "Raised by facadetest on request.");

#[pymodule]
mod facadetest {
    use super::*;

    #[pymodule_export]
    use super::FacadeError;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("ANSWER", 42)?;
        m.add("GREETING", "héllo wörld 🐍")?;
        m.add("PI", 3.5f64)?;
        m.add("NOTHING", m.py().None())?;
        Ok(())
    }

    // ---- integers -------------------------------------------------------

    #[pyfunction]
    fn add(a: i64, b: i64) -> PyResult<i64> {
        a.checked_add(b)
            .ok_or_else(|| pyo3::exceptions::PyOverflowError::new_err("add overflowed"))
    }

    #[pyfunction]
    fn add_u64(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }

    #[pyfunction]
    fn as_u8(a: u8) -> u8 {
        a
    }

    #[pyfunction]
    fn as_i32(a: i32) -> i32 {
        a
    }

    #[pyfunction]
    fn as_usize(a: usize) -> usize {
        a
    }

    #[pyfunction]
    fn i128_roundtrip(a: i128) -> i128 {
        a
    }

    #[pyfunction]
    fn u128_roundtrip(a: u128) -> u128 {
        a
    }

    #[pyfunction]
    fn i128_neg(a: i128) -> PyResult<i128> {
        a.checked_neg().ok_or_else(|| pyo3::exceptions::PyOverflowError::new_err("neg overflowed"))
    }

    /// Arbitrary-size int arithmetic through the object protocol.
    #[pyfunction]
    fn big_mul<'py>(a: &Bound<'py, PyInt>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        a.mul(b)
    }

    // ---- floats and bools ----------------------------------------------

    #[pyfunction]
    fn fsum(values: Vec<f64>) -> f64 {
        values.iter().sum()
    }

    #[pyfunction]
    fn float_value(x: &Bound<'_, PyFloat>) -> f64 {
        x.value()
    }

    #[pyfunction]
    fn negate(b: bool) -> bool {
        !b
    }

    #[pyfunction]
    fn truthy(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
        obj.is_truthy()
    }

    #[pyfunction]
    fn make_bool(py: Python<'_>, v: bool) -> Bound<'_, PyBool> {
        PyBool::new(py, v).to_owned()
    }

    // ---- strings and bytes -----------------------------------------------

    #[pyfunction]
    fn upper(s: &str) -> String {
        s.to_uppercase()
    }

    #[pyfunction]
    fn str_len_chars(s: &Bound<'_, PyString>) -> PyResult<usize> {
        s.len()
    }

    #[pyfunction]
    fn str_concat(a: String, b: &str) -> String {
        a + b
    }

    #[pyfunction]
    fn str_chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[pyfunction]
    fn char_code(c: char) -> u32 {
        c as u32
    }

    #[pyfunction]
    fn reverse_bytes<'py>(py: Python<'py>, b: &[u8]) -> Bound<'py, PyBytes> {
        let mut v = b.to_vec();
        v.reverse();
        PyBytes::new(py, &v)
    }

    #[pyfunction]
    fn bytes_filled(py: Python<'_>, n: usize, byte: u8) -> PyResult<Bound<'_, PyBytes>> {
        PyBytes::new_with(py, n, |buf| {
            buf.fill(byte);
            Ok(())
        })
    }

    #[pyfunction]
    fn bytes_vec(b: Vec<u8>) -> usize {
        b.len()
    }

    // ---- containers ---------------------------------------------------------

    #[pyfunction]
    fn tuple_sum(t: (i64, i64, i64)) -> i64 {
        t.0 + t.1 + t.2
    }

    #[pyfunction]
    fn make_tuple(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
        PyTuple::new(py, [1i64.into_pyobject(py)?.into_any(), "two".into_pyobject(py)?.into_any(), py.None().into_bound(py)])
    }

    #[pyfunction]
    fn tuple_items<'py>(t: &Bound<'py, PyTuple>) -> Vec<Bound<'py, PyAny>> {
        t.iter().collect()
    }

    #[pyfunction]
    fn list_double(v: Vec<i64>) -> Vec<i64> {
        v.into_iter().map(|x| x * 2).collect()
    }

    #[pyfunction]
    fn list_append<'py>(l: &Bound<'py, PyList>, item: &Bound<'py, PyAny>) -> PyResult<usize> {
        l.append(item)?;
        Ok(l.len())
    }

    /// Builds a list of `0..n` with `PyList_Append` (scaling tests).
    #[pyfunction]
    fn build_list(py: Python<'_>, n: usize) -> PyResult<Bound<'_, PyList>> {
        let l = PyList::empty(py);
        for i in 0..n {
            l.append(i)?;
        }
        Ok(l)
    }

    /// Sums a list of ints through `PyList_GET_ITEM` (PyO3's list iterator).
    #[pyfunction]
    fn list_sum(l: &Bound<'_, PyList>) -> PyResult<i64> {
        l.iter().map(|x| x.extract::<i64>()).sum()
    }

    /// Inserts `x` at the front of `l` `n` times (`PyList_Insert`).
    #[pyfunction]
    fn list_insert_front<'py>(l: &Bound<'py, PyList>, x: &Bound<'py, PyAny>, n: usize) -> PyResult<usize> {
        for _ in 0..n {
            l.insert(0, x)?;
        }
        Ok(l.len())
    }

    /// Replaces every item of `l` by `x` (`PyList_SetItem`).
    #[pyfunction]
    fn list_fill<'py>(l: &Bound<'py, PyList>, x: &Bound<'py, PyAny>) -> PyResult<()> {
        for i in 0..l.len() {
            l.set_item(i, x)?;
        }
        Ok(())
    }

    /// Counts the entries of a dict with `PyDict_Next` (PyO3's dict iterator).
    #[pyfunction]
    fn dict_count(d: &Bound<'_, PyDict>) -> usize {
        let mut n = 0;
        for (_k, _v) in d.iter() {
            n += 1;
        }
        n
    }

    /// Looks up `k` in `d` `n` times (`PyDict_GetItemRef`); returns the last value.
    #[pyfunction]
    fn dict_get_many<'py>(d: &Bound<'py, PyDict>, k: &Bound<'py, PyAny>, n: usize) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut last = None;
        for _ in 0..n {
            last = d.get_item(k)?;
        }
        Ok(last)
    }

    /// Sums the list at `t[0]`, read inline through the tuple (nested mirrors).
    #[pyfunction]
    fn tuple_list_sum(t: &Bound<'_, PyTuple>) -> PyResult<i64> {
        t.get_item(0)?.cast::<PyList>()?.iter().map(|x| x.extract::<i64>()).sum()
    }

    /// Length of the dict at `t[0]`, read inline (`ma_used`) through the tuple.
    #[pyfunction]
    fn tuple_dict_len(t: &Bound<'_, PyTuple>) -> PyResult<usize> {
        Ok(t.get_item(0)?.cast::<PyDict>()?.len())
    }

    /// A Rust closure as a Python function (`PyCFunction_NewEx` with a capsule
    /// `self`), capturing `captured`; `dropped` is called when the closure is freed.
    #[pyfunction]
    fn make_closure<'py>(py: Python<'py>, captured: Py<PyAny>, dropped: Py<PyAny>) -> PyResult<Bound<'py, pyo3::types::PyCFunction>> {
        struct OnDrop(Py<PyAny>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                Python::attach(|py| {
                    let _ = self.0.call0(py);
                });
            }
        }
        let guard = OnDrop(dropped);
        pyo3::types::PyCFunction::new_closure(py, None, None, move |args: &Bound<'_, PyTuple>, _kw: Option<&Bound<'_, PyDict>>| -> PyResult<Py<PyAny>> {
            let _ = &guard;
            let py = args.py();
            Ok(PyTuple::new(py, [captured.clone_ref(py).into_bound(py), args.clone().into_any()])?.into_any().unbind())
        })
    }

    /// `PyTuple_New(0)` and `PyBytes_FromStringAndSize(NULL, 0)` results.
    #[pyfunction]
    fn empties(py: Python<'_>) -> PyResult<(Bound<'_, PyTuple>, Bound<'_, PyBytes>)> {
        Ok((PyTuple::empty(py), PyBytes::new_with(py, 0, |_| Ok(()))?))
    }

    /// Takes any object and ignores it (crossing cost).
    #[pyfunction]
    fn ignore(_x: &Bound<'_, PyAny>) {}

    /// Length of a `bytes` read inline (`PyBytes_AS_STRING`/`Py_SIZE`).
    #[pyfunction]
    fn bytes_len(b: &Bound<'_, PyBytes>) -> usize {
        b.as_bytes().len()
    }

    #[pyfunction]
    fn list_get<'py>(l: &Bound<'py, PyList>, i: usize) -> PyResult<Bound<'py, PyAny>> {
        l.get_item(i)
    }

    #[pyfunction]
    fn nested(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
        let inner = PyList::new(py, [1, 2, 3])?;
        PyList::new(py, [inner.clone().into_any(), PyTuple::new(py, [inner])?.into_any()])
    }

    #[pyfunction]
    fn dict_keys_sorted(d: HashMap<String, i64>) -> Vec<String> {
        let mut k: Vec<String> = d.into_keys().collect();
        k.sort();
        k
    }

    #[pyfunction]
    fn dict_invert(d: BTreeMap<String, i64>) -> BTreeMap<i64, String> {
        d.into_iter().map(|(k, v)| (v, k)).collect()
    }

    #[pyfunction]
    fn dict_items<'py>(d: &Bound<'py, PyDict>) -> Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        d.iter().collect()
    }

    #[pyfunction]
    fn dict_set<'py>(d: &Bound<'py, PyDict>, k: &Bound<'py, PyAny>, v: &Bound<'py, PyAny>) -> PyResult<usize> {
        d.set_item(k, v)?;
        Ok(d.len())
    }

    #[pyfunction]
    fn dict_get<'py>(d: &Bound<'py, PyDict>, k: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
        d.get_item(k)
    }

    #[pyfunction]
    fn make_dict(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("a", 1)?;
        d.set_item("b", vec![1.5, 2.5])?;
        d.set_item(3, py.None())?;
        Ok(d)
    }

    #[pyfunction]
    fn set_size(s: HashSet<i64>) -> usize {
        s.len()
    }

    #[pyfunction]
    fn set_len(s: &Bound<'_, PySet>) -> usize {
        s.len()
    }

    #[pyfunction]
    fn frozenset_len(s: &Bound<'_, PyFrozenSet>) -> usize {
        s.len()
    }

    #[pyfunction]
    fn make_set(py: Python<'_>) -> PyResult<Bound<'_, PySet>> {
        PySet::new(py, [1, 2, 3])
    }

    #[pyfunction]
    fn maybe(x: Option<i64>) -> Option<i64> {
        x.map(|v| v + 1)
    }

    // ---- argument conventions ---------------------------------------------

    #[pyfunction]
    #[pyo3(signature = (a, b = 10, *, c = "c"))]
    fn defaults(a: i64, b: i64, c: &str) -> String {
        format!("{a}-{b}-{c}")
    }

    #[pyfunction]
    #[pyo3(signature = (*args, **kwargs))]
    fn varargs<'py>(
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<(usize, Vec<String>)> {
        let mut keys: Vec<String> = match kwargs {
            Some(k) => k.keys().iter().map(|k| k.extract::<String>()).collect::<PyResult<_>>()?,
            None => vec![],
        };
        keys.sort();
        Ok((args.len(), keys))
    }

    #[pyfunction]
    #[pyo3(signature = (first, /, second, *rest, last, **extra))]
    fn mixed<'py>(
        first: i64,
        second: i64,
        rest: Vec<i64>,
        last: i64,
        extra: Option<&Bound<'py, PyDict>>,
    ) -> (i64, i64, Vec<i64>, i64, usize) {
        (first, second, rest, last, extra.map_or(0, |d| d.len()))
    }

    #[pyfunction]
    fn no_args() -> &'static str {
        "nothing"
    }

    /// Does nothing and returns None: the bare cost of a call.
    #[pyfunction]
    fn noargs() {}

    /// A frozenset built as PyO3 builds one: `PyFrozenSet_New(NULL)`, then
    /// `PySet_Add` per item; returns it with its size read before it is used.
    #[pyfunction]
    fn make_frozenset<'py>(py: Python<'py>, items: Vec<Bound<'py, PyAny>>) -> PyResult<(Bound<'py, PyFrozenSet>, usize)> {
        let fs = PyFrozenSet::new(py, items)?;
        let n = fs.len();
        Ok((fs, n))
    }

    /// Emits `UserWarning(message)` with `PyErr_WarnEx` from a new host
    /// thread, which has no Python frames (as PyO3's test threads).
    #[pyfunction]
    fn warn_from_new_thread(py: Python<'_>, message: String) -> PyResult<()> {
        py.detach(|| {
            std::thread::spawn(move || {
                Python::attach(|py| {
                    let msg = std::ffi::CString::new(message).unwrap();
                    PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyUserWarning>(), &msg, 0)
                })
            })
            .join()
            .unwrap()
        })
    }

    /// Objects this module holds (C references kept across calls).
    static KEPT: std::sync::Mutex<Vec<Py<PyAny>>> = std::sync::Mutex::new(Vec::new());

    /// Keeps the type of `obj`, taken as C does from `Py_TYPE(obj)` with an
    /// inline `Py_INCREF` (PyO3's `get_type`).
    #[pyfunction]
    fn keep_type(obj: &Bound<'_, PyAny>) {
        KEPT.lock().unwrap().push(obj.get_type().into_any().unbind());
    }

    /// The objects kept so far.
    #[pyfunction]
    fn kept(py: Python<'_>) -> Vec<Py<PyAny>> {
        KEPT.lock().unwrap().iter().map(|o| o.clone_ref(py)).collect()
    }

    /// Makes `n` new ints and strs that C keeps (a reference each, in the
    /// kept list: int `i` at `2i`, str `i` at `2i + 1`) and returns them in
    /// a new list (ints), a new tuple (strs) and a new dict (str -> int).
    #[pyfunction]
    fn make_and_keep(py: Python<'_>, n: usize) -> PyResult<(Bound<'_, PyList>, Bound<'_, PyTuple>, Bound<'_, PyDict>)> {
        let l = PyList::empty(py);
        let d = PyDict::new(py);
        let mut strs = Vec::with_capacity(n);
        for i in 0..n {
            let x = (1_000_000 + i).into_pyobject(py)?.into_any();
            let s = PyString::new(py, &format!("s{i}")).into_any();
            let mut kept = KEPT.lock().unwrap();
            kept.push(x.clone().unbind());
            kept.push(s.clone().unbind());
            drop(kept);
            l.append(&x)?;
            d.set_item(&s, &x)?;
            strs.push(s);
        }
        Ok((l, PyTuple::new(py, strs)?, d))
    }

    /// Makes `n` new dicts `{"marker": marker, "i": i}` that only C holds
    /// (kept at `start + i` in the kept list); returns them in a new list if
    /// `give` is true, else nothing (Python can then reach them only through
    /// the collector: `gc.get_referrers(marker)`, `gc.get_objects()`).
    #[pyfunction]
    fn keep_new_dicts<'py>(py: Python<'py>, n: usize, marker: &Bound<'py, PyAny>, give: bool) -> PyResult<Option<Bound<'py, PyList>>> {
        let out = PyList::empty(py);
        for i in 0..n {
            let d = PyDict::new(py);
            d.set_item("marker", marker)?;
            d.set_item("i", i)?;
            KEPT.lock().unwrap().push(d.clone().into_any().unbind());
            if give {
                out.append(d)?;
            }
        }
        Ok(give.then_some(out))
    }

    /// A block C holds from `PyMem_Malloc` (`pymem_hold`), released by `pymem_release`.
    static PYMEM_BLOCK: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

    /// Allocates `n` bytes with `PyMem_Malloc` and keeps them (the previous
    /// block, if any, is resized to `n` with `PyMem_Realloc`).
    #[pyfunction]
    fn pymem_hold(n: usize) -> PyResult<()> {
        let mut b = PYMEM_BLOCK.lock().unwrap();
        // SAFETY: the block is NULL or one this function allocated.
        let p = unsafe { pyo3::ffi::PyMem_Realloc(*b as *mut std::ffi::c_void, n) };
        if p.is_null() {
            return Err(pyo3::exceptions::PyMemoryError::new_err("PyMem_Realloc failed"));
        }
        *b = p as usize;
        Ok(())
    }

    /// Frees the block `pymem_hold` keeps (`PyMem_Free`).
    #[pyfunction]
    fn pymem_release() {
        let mut b = PYMEM_BLOCK.lock().unwrap();
        // SAFETY: the block is NULL or one pymem_hold allocated.
        unsafe { pyo3::ffi::PyMem_Free(std::mem::replace(&mut *b, 0) as *mut std::ffi::c_void) };
    }

    /// A new dict `{"a": 1, "b": 2}` made with `PyDict_New`/`PyDict_SetItem`,
    /// then `key: value` stored into it the same way (the key's `__hash__`
    /// and `__eq__` may run Python code).
    #[pyfunction]
    fn str_keyed_dict_then<'py>(py: Python<'py>, key: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("a", 1)?;
        d.set_item("b", 2)?;
        d.set_item(key, value)?;
        Ok(d)
    }

    /// Fills a new list (`PyList_New(0)`) with `PyList_Insert` at the front,
    /// past the end and at negative positions and with `PyList_Append`,
    /// reading it back with `PyList_Size`/`PyList_GetItem` before it is
    /// returned: (the list, its size, its items, whether reading past the
    /// end failed with IndexError).
    #[pyfunction]
    fn list_builder_ops(py: Python<'_>) -> PyResult<(Bound<'_, PyList>, isize, Vec<i64>, bool)> {
        use pyo3::ffi;
        // SAFETY: a new list and new item references, each checked.
        unsafe {
            let l = Bound::from_owned_ptr_or_err(py, ffi::PyList_New(0))?;
            for (at, v) in [(0, 1i64), (0, 0), (100, 3), (-1, 2), (-100, -1)] {
                let x = v.into_pyobject(py)?;
                if ffi::PyList_Insert(l.as_ptr(), at, x.as_ptr()) < 0 {
                    return Err(PyErr::fetch(py));
                }
            }
            if ffi::PyList_Append(l.as_ptr(), 4i64.into_pyobject(py)?.as_ptr()) < 0 {
                return Err(PyErr::fetch(py));
            }
            let n = ffi::PyList_Size(l.as_ptr());
            let mut items = Vec::new();
            for i in 0..n {
                items.push(Bound::from_borrowed_ptr_or_err(py, ffi::PyList_GetItem(l.as_ptr(), i))?.extract::<i64>()?);
            }
            let past_end = ffi::PyList_GetItem(l.as_ptr(), n).is_null()
                && PyErr::take(py).is_some_and(|e| e.is_instance_of::<pyo3::exceptions::PyIndexError>(py));
            Ok((l.cast_into::<PyList>()?, n, items, past_end))
        }
    }

    /// Whether `obj` is, as a C pointer, the object kept at `i`.
    #[pyfunction]
    fn is_kept(obj: &Bound<'_, PyAny>, i: usize) -> bool {
        KEPT.lock().unwrap().get(i).is_some_and(|k| k.as_ptr() == obj.as_ptr())
    }

    /// Releases the objects kept so far.
    #[pyfunction]
    fn release_kept() {
        let kept = std::mem::take(&mut *KEPT.lock().unwrap());
        drop(kept);
    }

    // ---- identity and the object protocol ---------------------------------

    #[pyfunction]
    fn echo(obj: Bound<'_, PyAny>) -> Bound<'_, PyAny> {
        obj
    }

    #[pyfunction]
    fn same(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> bool {
        a.is(b)
    }

    #[pyfunction]
    fn type_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
        Ok(obj.get_type().name()?.to_string())
    }

    #[pyfunction]
    fn get_attr<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        obj.getattr(name)
    }

    #[pyfunction]
    fn set_attr(obj: &Bound<'_, PyAny>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        obj.setattr(name, value)
    }

    #[pyfunction]
    fn get_item<'py>(obj: &Bound<'py, PyAny>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        obj.get_item(key)
    }

    #[pyfunction]
    fn repr_of(obj: &Bound<'_, PyAny>) -> PyResult<String> {
        Ok(obj.repr()?.to_string())
    }

    #[pyfunction]
    fn str_of(obj: &Bound<'_, PyAny>) -> PyResult<String> {
        Ok(obj.str()?.to_string())
    }

    #[pyfunction]
    fn hash_of(obj: &Bound<'_, PyAny>) -> PyResult<isize> {
        obj.hash()
    }

    #[pyfunction]
    fn compare(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<(bool, bool, bool)> {
        Ok((a.lt(b)?, a.eq(b)?, a.gt(b)?))
    }

    #[pyfunction]
    fn length(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
        obj.len()
    }

    #[pyfunction]
    fn is_instance(obj: &Bound<'_, PyAny>, ty: &Bound<'_, PyAny>) -> PyResult<bool> {
        obj.is_instance(ty)
    }

    #[pyfunction]
    fn contains(obj: &Bound<'_, PyAny>, item: &Bound<'_, PyAny>) -> PyResult<bool> {
        obj.contains(item)
    }

    #[pyfunction]
    fn iterate<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        obj.try_iter()?.collect()
    }

    // ---- callbacks ----------------------------------------------------------

    #[pyfunction]
    #[pyo3(signature = (f, *args, **kwargs))]
    fn call<'py>(
        f: &Bound<'py, PyAny>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        f.call(args, kwargs)
    }

    #[pyfunction]
    fn call0<'py>(f: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        f.call0()
    }

    #[pyfunction]
    fn call1<'py>(f: &Bound<'py, PyAny>, arg: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        f.call1((arg,))
    }

    #[pyfunction]
    fn call_method<'py>(obj: &Bound<'py, PyAny>, name: &str, arg: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        obj.call_method1(name, (arg,))
    }

    #[pyfunction]
    fn map_sum(f: &Bound<'_, PyAny>, n: i64) -> PyResult<i64> {
        let mut total = 0;
        for i in 0..n {
            total += f.call1((i,))?.extract::<i64>()?;
        }
        Ok(total)
    }

    #[pyfunction]
    fn import_and_get<'py>(py: Python<'py>, module: &str, attr: &str) -> PyResult<Bound<'py, PyAny>> {
        py.import(module)?.getattr(attr)
    }

    // ---- errors ---------------------------------------------------------------

    #[pyfunction]
    fn raise_value_error(msg: &str) -> PyResult<()> {
        Err(PyValueError::new_err(msg.to_owned()))
    }

    #[pyfunction]
    fn raise_key_error() -> PyResult<()> {
        Err(PyKeyError::new_err(("missing", 7i64)))
    }

    #[pyfunction]
    fn raise_custom() -> PyResult<()> {
        Err(FacadeError::new_err("custom failure"))
    }

    #[pyfunction]
    fn raise_with_cause(py: Python<'_>) -> PyResult<()> {
        let err = PyTypeError::new_err("outer");
        err.set_cause(py, Some(PyValueError::new_err("inner")));
        Err(err)
    }

    /// Calls `f`; if it raises, returns (type name, str(exc)) instead.
    #[pyfunction]
    fn catch(py: Python<'_>, f: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
        match f.call0() {
            Ok(v) => Ok(("ok".into(), v.str()?.to_string())),
            Err(e) => Ok((e.get_type(py).name()?.to_string(), e.value(py).str()?.to_string())),
        }
    }

    /// Calls `f` and re-raises its exception wrapped with a cause.
    #[pyfunction]
    fn wrap_error<'py>(py: Python<'py>, f: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        f.call0().map_err(|e| {
            let outer = PyRuntimeError::new_err("wrapped");
            outer.set_cause(py, Some(e));
            outer
        })
    }

    /// Calls `f`, which must raise; returns the exception object (with traceback).
    #[pyfunction]
    fn caught_exception<'py>(py: Python<'py>, f: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, bool)> {
        match f.call0() {
            Ok(_) => Err(PyValueError::new_err("callable did not raise")),
            Err(e) => {
                let has_tb = e.traceback(py).is_some();
                Ok((e.into_value(py).into_bound(py).into_any(), has_tb))
            }
        }
    }

    #[pyfunction]
    fn panic_now(msg: &str) -> PyResult<()> {
        panic!("{}", msg.to_owned());
    }

    #[pyfunction]
    fn overflow_i32(x: i64) -> PyResult<i32> {
        i32::try_from(x).map_err(|e| pyo3::exceptions::PyOverflowError::new_err(e.to_string()))
    }

    // ---- threads ---------------------------------------------------------------

    /// Calls `f(i)` from `n` Rust threads that Python never saw (each attaches
    /// through `PyGILState_Ensure`) while the calling thread is detached.
    #[pyfunction]
    fn call_from_rust_threads(py: Python<'_>, f: Py<PyAny>, n: i64) -> PyResult<Vec<i64>> {
        let f = std::sync::Arc::new(f);
        py.detach(|| {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let f = f.clone();
                    std::thread::spawn(move || Python::attach(|py| f.call1(py, (i,))?.extract::<i64>(py)))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("worker thread panicked")).collect()
        })
    }

    /// Releases the GIL while doing Rust work.
    #[pyfunction]
    fn detached_sum(py: Python<'_>, n: u64) -> u64 {
        py.detach(|| (0..n).sum())
    }
}
