//! `#[pyclass]` / `#[pymethods]` features for pyfacade's issue-3 tests.

use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::{PyIndexError, PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

static DROPS: AtomicUsize = AtomicUsize::new(0);

#[pymodule]
mod classtest {
    use super::*;

    /// A counter.
    #[pyclass]
    pub struct Counter {
        #[pyo3(get, set)]
        count: i64,
        step: i64,
    }

    #[pymethods]
    impl Counter {
        #[classattr]
        const ORIGIN: i64 = 0;

        #[new]
        #[pyo3(signature = (start = 0, step = 1))]
        fn new(start: i64, step: i64) -> Self {
            Counter { count: start, step }
        }

        fn incr(&mut self) -> i64 {
            self.count += self.step;
            self.count
        }

        #[getter]
        fn step(&self) -> i64 {
            self.step
        }

        #[setter]
        fn set_step(&mut self, v: i64) -> PyResult<()> {
            if v == 0 {
                return Err(PyValueError::new_err("step must not be 0"));
            }
            self.step = v;
            Ok(())
        }

        #[staticmethod]
        fn describe() -> &'static str {
            "counts"
        }

        #[classmethod]
        fn make(cls: &Bound<'_, PyType>, start: i64) -> PyResult<Py<PyAny>> {
            Ok(cls.call1((start,))?.unbind())
        }

        fn __repr__(&self) -> String {
            format!("Counter({}, step={})", self.count, self.step)
        }

        fn __len__(&self) -> usize {
            self.count.unsigned_abs() as usize
        }
    }

    /// Increments DROPS when dropped.
    #[pyclass]
    pub struct Tracked {
        #[pyo3(get)]
        tag: i64,
    }

    #[pymethods]
    impl Tracked {
        #[new]
        fn new(tag: i64) -> Self {
            Tracked { tag }
        }
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// CPython's special-method lookup as PyO3 does it: `name` on the type
    /// of `obj`, bound through the attribute type's `tp_descr_get` (read
    /// inline, which must agree with `PyType_GetSlot`) when it has one;
    /// None when the type has no such attribute.
    #[pyfunction]
    fn lookup_special<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let ty = obj.get_type();
        let Ok(attr) = ty.getattr(name) else { return Ok(None) };
        // SAFETY: attr's type is a live type object; descr_get follows its contract.
        unsafe {
            let atp = pyo3::ffi::Py_TYPE(attr.as_ptr());
            let inline = (*atp).tp_descr_get;
            let slot = pyo3::ffi::PyType_GetSlot(atp, pyo3::ffi::Py_tp_descr_get);
            if inline.map_or(0, |f| f as usize) != slot as usize {
                return Err(PyValueError::new_err("tp_descr_get and PyType_GetSlot disagree"));
            }
            match inline {
                Some(get) => Bound::from_owned_ptr_or_err(obj.py(), get(attr.as_ptr(), obj.as_ptr(), ty.as_ptr())).map(Some),
                None => Ok(Some(attr)),
            }
        }
    }

    /// Sets (or with None, deletes) `obj.name` through the `tp_descr_set` of
    /// the descriptor `name` names on `obj`'s type; False if it has none.
    #[pyfunction]
    fn descr_set(obj: &Bound<'_, PyAny>, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let attr = obj.get_type().getattr(name)?;
        // SAFETY: as in lookup_special.
        unsafe {
            let Some(set) = (*pyo3::ffi::Py_TYPE(attr.as_ptr())).tp_descr_set else { return Ok(false) };
            if set(attr.as_ptr(), obj.as_ptr(), value.map_or(std::ptr::null_mut(), |v| v.as_ptr())) < 0 {
                return Err(PyErr::fetch(obj.py()));
            }
        }
        Ok(true)
    }

    /// `PyUnicode_EqualToUTF8AndSize(s, b)`, on `s` as given and on a str C
    /// makes from `b` (a new object whose mirror C alone holds; None when
    /// `b` is not UTF-8).
    #[pyfunction]
    fn str_equals_utf8(s: &Bound<'_, PyAny>, b: &[u8]) -> (bool, Option<bool>) {
        let n = b.len() as pyo3::ffi::Py_ssize_t;
        let c = b.as_ptr().cast::<std::ffi::c_char>();
        // SAFETY: b outlives the calls; the new str is released by its Bound.
        unsafe {
            let given = pyo3::ffi::PyUnicode_EqualToUTF8AndSize(s.as_ptr(), c, n) == 1;
            let own = Bound::from_owned_ptr_or_err(s.py(), pyo3::ffi::PyUnicode_FromStringAndSize(c, n))
                .ok()
                .map(|made| pyo3::ffi::PyUnicode_EqualToUTF8AndSize(made.as_ptr(), c, n) == 1);
            (given, own)
        }
    }

    /// `obj` as a complex number (`PyComplex_AsCComplex`: `__complex__` looked
    /// up as a special method).
    #[pyfunction]
    fn as_complex(obj: &Bound<'_, PyAny>) -> PyResult<(f64, f64)> {
        // SAFETY: obj is a live object.
        let c = unsafe { pyo3::ffi::PyComplex_AsCComplex(obj.as_ptr()) };
        match PyErr::take(obj.py()) {
            Some(e) if c.real == -1.0 => Err(e),
            _ => Ok((c.real, c.imag)),
        }
    }

    #[pyfunction]
    fn drops() -> usize {
        DROPS.load(Ordering::SeqCst)
    }

    /// Holds any object; used for identity tests.
    #[pyclass]
    pub struct Holder {
        item: Option<Py<PyAny>>,
    }

    #[pymethods]
    impl Holder {
        #[new]
        fn new() -> Self {
            Holder { item: None }
        }

        fn put(&mut self, item: Py<PyAny>) {
            self.item = Some(item);
        }

        fn get(&self, py: Python<'_>) -> Option<Py<PyAny>> {
            self.item.as_ref().map(|i| i.clone_ref(py))
        }

        fn take(&mut self) -> Option<Py<PyAny>> {
            self.item.take()
        }

        /// Drops the item in Rust: PyO3's inline `Py_DECREF`.
        fn clear(&mut self) {
            self.item = None;
        }
    }

    #[pyclass(subclass)]
    pub struct Base {
        /// The value it was made with.
        #[pyo3(get)]
        value: i64,
    }

    #[pymethods]
    impl Base {
        #[new]
        fn new(value: i64) -> Self {
            Base { value }
        }

        fn kind(&self) -> &'static str {
            "base"
        }

        /// Twice the value, computed.
        #[getter]
        fn twice(&self) -> i64 {
            2 * self.value
        }

        fn doubled(&self) -> i64 {
            self.value * 2
        }
    }

    #[pyclass(extends = Base)]
    pub struct Child {
        #[pyo3(get)]
        extra: i64,
    }

    #[pymethods]
    impl Child {
        #[new]
        fn new(value: i64, extra: i64) -> PyClassInitializer<Self> {
            PyClassInitializer::from(Base { value }).add_subclass(Child { extra })
        }

        fn kind(&self) -> &'static str {
            "child"
        }

        fn total(self_: PyRef<'_, Self>) -> i64 {
            self_.extra + self_.as_super().value
        }
    }

    #[pyclass(frozen, eq, hash, get_all)]
    #[derive(PartialEq, Hash)]
    pub struct Point {
        x: i64,
        y: i64,
    }

    #[pymethods]
    impl Point {
        #[new]
        fn new(x: i64, y: i64) -> Self {
            Point { x, y }
        }

        fn __add__(&self, other: &Self) -> Self {
            Point { x: self.x + other.x, y: self.y + other.y }
        }

        fn __neg__(&self) -> Self {
            Point { x: -self.x, y: -self.y }
        }

        fn __bool__(&self) -> bool {
            self.x != 0 || self.y != 0
        }

        fn __repr__(&self) -> String {
            format!("Point({}, {})", self.x, self.y)
        }
    }

    #[pyclass(eq, eq_int)]
    #[derive(PartialEq, Clone, Copy)]
    pub enum Color {
        Red,
        Green,
        Blue,
    }

    /// A sequence with __getitem__/__setitem__/__delitem__/__contains__/__iter__.
    #[pyclass(sequence)]
    pub struct Bag {
        items: Vec<i64>,
    }

    #[pymethods]
    impl Bag {
        #[new]
        #[pyo3(signature = (*items))]
        fn new(items: Vec<i64>) -> Self {
            Bag { items }
        }

        fn __len__(&self) -> usize {
            self.items.len()
        }

        fn __getitem__(&self, i: isize) -> PyResult<i64> {
            let n = self.items.len() as isize;
            let j = if i < 0 { i + n } else { i };
            self.items.get(j as usize).copied().filter(|_| j >= 0).ok_or_else(|| PyIndexError::new_err("Bag index out of range"))
        }

        fn __setitem__(&mut self, i: usize, v: i64) -> PyResult<()> {
            *self.items.get_mut(i).ok_or_else(|| PyIndexError::new_err("Bag index out of range"))? = v;
            Ok(())
        }

        fn __delitem__(&mut self, i: usize) -> PyResult<()> {
            if i >= self.items.len() {
                return Err(PyIndexError::new_err("Bag index out of range"));
            }
            self.items.remove(i);
            Ok(())
        }

        fn __contains__(&self, v: i64) -> bool {
            self.items.contains(&v)
        }

        fn __iter__(slf: PyRef<'_, Self>) -> BagIter {
            BagIter { items: slf.items.clone(), pos: 0 }
        }
    }

    #[pyclass]
    pub struct BagIter {
        items: Vec<i64>,
        pos: usize,
    }

    #[pymethods]
    impl BagIter {
        fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
            slf
        }

        fn __next__(&mut self) -> PyResult<i64> {
            let v = self.items.get(self.pos).copied().ok_or_else(|| PyStopIteration::new_err(()))?;
            self.pos += 1;
            Ok(v)
        }
    }

    #[pyclass]
    pub struct Adder {
        base: i64,
    }

    #[pymethods]
    impl Adder {
        #[new]
        fn new(base: i64) -> Self {
            Adder { base }
        }

        #[pyo3(signature = (*args, **kwargs))]
        fn __call__(&self, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<i64> {
            let mut total = self.base;
            for a in args.iter() {
                total += a.extract::<i64>()?;
            }
            if let Some(k) = kwargs {
                for (_, v) in k.iter() {
                    total += v.extract::<i64>()?;
                }
            }
            Ok(total)
        }
    }

    /// What `obj`'s dict slot (at its type's `tp_dictoffset`, read inline as
    /// C code does) holds: None while it is empty.
    #[pyfunction]
    fn dict_slot(obj: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
        // SAFETY: obj's type has a positive tp_dictoffset (checked) inside
        // its instances; the slot holds NULL or a live object.
        unsafe {
            let off = (*pyo3::ffi::Py_TYPE(obj.as_ptr())).tp_dictoffset;
            assert!(off > 0, "no dict slot");
            let p = *obj.as_ptr().cast::<u8>().offset(off).cast::<*mut pyo3::ffi::PyObject>();
            (!p.is_null()).then(|| Bound::from_borrowed_ptr(obj.py(), p).unbind())
        }
    }

    #[pyclass(dict, weakref, subclass)]
    pub struct Open {}

    /// `Open` that increments DROPS when dropped.
    #[pyclass(dict, weakref)]
    pub struct OpenTracked {}

    #[pymethods]
    impl OpenTracked {
        #[new]
        fn new() -> Self {
            OpenTracked {}
        }
    }

    impl Drop for OpenTracked {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[pymethods]
    impl Open {
        #[new]
        fn new() -> Self {
            Open {}
        }
    }

    /// Exports its bytes through the buffer protocol (`bf_getbuffer`).
    #[pyclass]
    pub struct Blob {
        data: Vec<u8>,
        exports: usize,
    }

    #[pymethods]
    impl Blob {
        #[new]
        fn new(data: Vec<u8>) -> Self {
            Blob { data, exports: 0 }
        }

        #[getter]
        fn exports(&self) -> usize {
            self.exports
        }

        unsafe fn __getbuffer__(mut slf: PyRefMut<'_, Self>, view: *mut pyo3::ffi::Py_buffer, flags: std::os::raw::c_int) -> PyResult<()> {
            if flags & pyo3::ffi::PyBUF_WRITABLE != 0 {
                return Err(pyo3::exceptions::PyBufferError::new_err("Blob is read-only"));
            }
            let (ptr, len) = (slf.data.as_ptr(), slf.data.len());
            slf.exports += 1;
            unsafe {
                let v = &mut *view;
                v.obj = pyo3::ffi::Py_NewRef(slf.as_ptr());
                v.buf = ptr as *mut std::os::raw::c_void;
                v.len = len as isize;
                v.readonly = 1;
                v.itemsize = 1;
                v.format = if flags & pyo3::ffi::PyBUF_FORMAT != 0 { c"B".as_ptr() as *mut _ } else { std::ptr::null_mut() };
                v.ndim = 1;
                v.shape = if flags & pyo3::ffi::PyBUF_ND != 0 { &mut v.len } else { std::ptr::null_mut() };
                v.strides = if flags & pyo3::ffi::PyBUF_STRIDES == pyo3::ffi::PyBUF_STRIDES { &mut v.itemsize } else { std::ptr::null_mut() };
                v.suboffsets = std::ptr::null_mut();
                v.internal = std::ptr::null_mut();
            }
            Ok(())
        }

        unsafe fn __releasebuffer__(mut slf: PyRefMut<'_, Self>, _view: *mut pyo3::ffi::Py_buffer) {
            slf.exports -= 1;
        }
    }

    /// Sum of a u8 buffer (bytes, bytearray, memoryview, array('B'), Blob).
    #[pyfunction]
    fn buffer_sum(b: pyo3::buffer::PyBuffer<u8>) -> PyResult<u64> {
        Ok(Python::attach(|py| b.to_vec(py))?.iter().map(|&x| x as u64).sum())
    }

    /// (len, itemsize, format, ndim, readonly, c_contiguous) of any buffer.
    #[pyfunction]
    fn buffer_info(obj: &Bound<'_, PyAny>) -> PyResult<(usize, usize, String, usize, bool, bool)> {
        let b = pyo3::buffer::PyUntypedBuffer::get(obj)?;
        Ok((b.len_bytes(), b.item_size(), b.format().to_string_lossy().into_owned(), b.dimensions(), b.readonly(), b.is_c_contiguous()))
    }

    /// Holds a buffer of `obj` until released; the exporter stays locked meanwhile.
    #[pyclass]
    pub struct BufferHold {
        buf: Option<pyo3::buffer::PyBuffer<u8>>,
    }

    #[pymethods]
    impl BufferHold {
        #[new]
        fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
            Ok(BufferHold { buf: Some(pyo3::buffer::PyBuffer::get(obj)?) })
        }

        fn release(&mut self) {
            self.buf = None;
        }
    }

    /// An exception class with Rust fields.
    #[pyclass(extends = pyo3::exceptions::PyValueError, subclass)]
    pub struct CodedError {
        #[pyo3(get)]
        code: i64,
    }

    #[pymethods]
    impl CodedError {
        #[new]
        #[pyo3(signature = (code, *_args))]
        fn new(code: i64, _args: &Bound<'_, PyTuple>) -> Self {
            CodedError { code }
        }

        fn describe(&self) -> String {
            format!("error {}", self.code)
        }
    }

    #[pyfunction]
    fn raise_coded(py: Python<'_>, code: i64) -> PyResult<()> {
        let e = Bound::new(py, CodedError { code })?;
        Err(PyErr::from_value(e.into_any()))
    }

    #[pyfunction]
    fn coded_code(e: PyRef<'_, CodedError>) -> i64 {
        e.code
    }

    /// A dict subclass with Rust fields.
    #[pyclass(extends = PyDict)]
    pub struct TaggedDict {
        #[pyo3(get)]
        tag: String,
    }

    #[pymethods]
    impl TaggedDict {
        #[new]
        #[pyo3(signature = (*_args, **_kwargs))]
        fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
            TaggedDict { tag: "tagged".to_owned() }
        }

        fn size(slf: &Bound<'_, Self>) -> PyResult<usize> {
            slf.as_any().len()
        }
    }

    /// ord + str + get_all + __reduce__.
    #[pyclass(eq, ord, str = "Version {major}.{minor}", frozen, get_all)]
    #[derive(PartialEq, PartialOrd, Clone)]
    pub struct Version {
        major: u32,
        minor: u32,
    }

    #[pymethods]
    impl Version {
        #[new]
        fn new(major: u32, minor: u32) -> Self {
            Version { major, minor }
        }

        fn __reduce__(&self, py: Python<'_>) -> PyResult<(Py<PyAny>, (u32, u32))> {
            Ok((py.get_type::<Version>().into_any().unbind(), (self.major, self.minor)))
        }
    }

    /// A mapping class.
    #[pyclass(mapping, module = "classtest.registry")]
    pub struct Registry {
        map: std::collections::BTreeMap<String, Py<PyAny>>,
    }

    #[pymethods]
    impl Registry {
        #[new]
        fn new() -> Self {
            Registry { map: Default::default() }
        }

        fn __len__(&self) -> usize {
            self.map.len()
        }

        fn __getitem__(&self, py: Python<'_>, key: &str) -> PyResult<Py<PyAny>> {
            self.map.get(key).map(|v| v.clone_ref(py)).ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(key.to_owned()))
        }

        fn __setitem__(&mut self, key: String, value: Py<PyAny>) {
            self.map.insert(key, value);
        }

        fn __delitem__(&mut self, key: &str) -> PyResult<()> {
            self.map.remove(key).map(drop).ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(key.to_owned()))
        }

        fn keys(&self) -> Vec<String> {
            self.map.keys().cloned().collect()
        }
    }

    #[pyclass]
    pub enum Shape {
        Circle { radius: f64 },
        Rect { w: f64, h: f64 },
        Empty(),
    }

    #[pymethods]
    impl Shape {
        fn area(&self) -> f64 {
            match self {
                Shape::Circle { radius } => 3.0 * radius * radius,
                Shape::Rect { w, h } => w * h,
                Shape::Empty() => 0.0,
            }
        }
    }

    /// Holds another pyclass instance in a typed field.
    #[pyclass]
    pub struct Node {
        #[pyo3(get, set)]
        child: Option<Py<Node>>,
        #[pyo3(get)]
        value: i64,
    }

    #[pymethods]
    impl Node {
        #[new]
        #[pyo3(signature = (value, child = None))]
        fn new(value: i64, child: Option<Py<Node>>) -> Self {
            Node { child, value }
        }

        fn depth(&self, py: Python<'_>) -> usize {
            1 + self.child.as_ref().map_or(0, |c| c.borrow(py).depth(py))
        }

        async fn later(&self, x: i64) -> i64 {
            x + self.value
        }
    }

    #[pyclass(subclass)]
    pub struct Plugin {}

    #[pymethods]
    impl Plugin {
        #[new]
        fn new() -> Self {
            Plugin {}
        }

        #[classmethod]
        #[pyo3(signature = (**_kwargs))]
        fn __init_subclass__(cls: &Bound<'_, PyType>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
            cls.setattr("registered", true)
        }
    }

    /// Takes part in reference cycles; visible to the collector through
    /// `__traverse__`/`__clear__`.
    #[pyclass]
    pub struct CycleNode {
        other: Option<Py<PyAny>>,
    }

    #[pymethods]
    impl CycleNode {
        #[new]
        fn new() -> Self {
            CycleNode { other: None }
        }

        fn link(&mut self, other: Py<PyAny>) {
            self.other = Some(other);
        }

        fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
            if let Some(o) = &self.other {
                visit.call(o)?;
            }
            Ok(())
        }

        fn __clear__(&mut self) {
            self.other = None;
        }
    }

    impl Drop for CycleNode {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Makes `n` two-node cycles in Rust that never reach Python: only the
    /// cycle collector, through `tp_traverse`, can free them.
    #[pyfunction]
    fn make_c_cycles(py: Python<'_>, n: usize) -> PyResult<()> {
        for _ in 0..n {
            let a = Bound::new(py, CycleNode::new())?;
            let b = Bound::new(py, CycleNode::new())?;
            a.borrow_mut().other = Some(b.clone().into_any().unbind());
            b.borrow_mut().other = Some(a.into_any().unbind());
        }
        Ok(())
    }

    /// A number type covering the nb_* slots.
    #[pyclass(frozen, eq)]
    #[derive(PartialEq)]
    pub struct Num {
        #[pyo3(get)]
        v: i64,
    }

    #[pymethods]
    impl Num {
        #[new]
        fn new(v: i64) -> Self {
            Num { v }
        }
        fn __repr__(&self) -> String {
            format!("Num({})", self.v)
        }
        fn __add__(&self, o: i64) -> Num { Num { v: self.v + o } }
        fn __radd__(&self, o: i64) -> Num { Num { v: o + self.v } }
        fn __sub__(&self, o: i64) -> Num { Num { v: self.v - o } }
        fn __rsub__(&self, o: i64) -> Num { Num { v: o - self.v } }
        fn __mul__(&self, o: i64) -> Num { Num { v: self.v * o } }
        fn __matmul__(&self, o: i64) -> Num { Num { v: self.v * 1000 + o } }
        fn __truediv__(&self, o: i64) -> f64 { self.v as f64 / o as f64 }
        fn __floordiv__(&self, o: i64) -> Num { Num { v: self.v.div_euclid(o) } }
        fn __mod__(&self, o: i64) -> Num { Num { v: self.v.rem_euclid(o) } }
        fn __divmod__(&self, o: i64) -> (i64, i64) { (self.v.div_euclid(o), self.v.rem_euclid(o)) }
        fn __pow__(&self, o: u32, m: Option<i64>) -> Num {
            let r = self.v.pow(o);
            Num { v: m.map_or(r, |m| r % m) }
        }
        fn __lshift__(&self, o: u32) -> Num { Num { v: self.v << o } }
        fn __and__(&self, o: i64) -> Num { Num { v: self.v & o } }
        fn __or__(&self, o: i64) -> Num { Num { v: self.v | o } }
        fn __xor__(&self, o: i64) -> Num { Num { v: self.v ^ o } }
        fn __neg__(&self) -> Num { Num { v: -self.v } }
        fn __pos__(&self) -> Num { Num { v: self.v } }
        fn __abs__(&self) -> Num { Num { v: self.v.abs() } }
        fn __invert__(&self) -> Num { Num { v: !self.v } }
        fn __index__(&self) -> i64 { self.v }
        fn __int__(&self) -> i64 { self.v }
        fn __float__(&self) -> f64 { self.v as f64 + 0.5 }
        fn __bool__(&self) -> bool { self.v != 0 }
    }

    /// In-place operators on a mutable accumulator.
    #[pyclass]
    pub struct Acc {
        #[pyo3(get)]
        v: i64,
    }

    #[pymethods]
    impl Acc {
        #[new]
        fn new(v: i64) -> Self { Acc { v } }
        fn __iadd__(&mut self, o: i64) { self.v += o; }
        fn __isub__(&mut self, o: i64) { self.v -= o; }
        fn __imul__(&mut self, o: i64) { self.v *= o; }
    }

    /// __getitem__ with ints and slices.
    #[pyclass]
    pub struct Seq {
        items: Vec<i64>,
    }

    #[pymethods]
    impl Seq {
        #[new]
        fn new(items: Vec<i64>) -> Self { Seq { items } }
        fn __len__(&self) -> usize { self.items.len() }
        fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
            if let Ok(slice) = key.cast::<pyo3::types::PySlice>() {
                let idx = slice.indices(self.items.len() as isize)?;
                let mut out = vec![];
                let mut i = idx.start;
                for _ in 0..idx.slicelength {
                    out.push(self.items[i as usize]);
                    i += idx.step;
                }
                return Ok(out.into_pyobject(py)?.into_any().unbind());
            }
            let i: isize = key.extract()?;
            let n = self.items.len() as isize;
            let j = if i < 0 { i + n } else { i };
            if j < 0 || j >= n {
                return Err(PyIndexError::new_err("Seq index out of range"));
            }
            Ok(self.items[j as usize].into_pyobject(py)?.into_any().unbind())
        }
    }

    /// A descriptor (__get__/__set__/__delete__).
    #[pyclass]
    pub struct Field {
        value: Option<i64>,
    }

    #[pymethods]
    impl Field {
        #[new]
        fn new() -> Self { Field { value: None } }
        fn __get__(&self, obj: Option<&Bound<'_, PyAny>>, _owner: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
            if obj.is_none() {
                return Ok(-1);
            }
            self.value.ok_or_else(|| pyo3::exceptions::PyAttributeError::new_err("field not set"))
        }
        fn __set__(&mut self, _obj: &Bound<'_, PyAny>, value: i64) { self.value = Some(value); }
        fn __delete__(&mut self, _obj: &Bound<'_, PyAny>) { self.value = None; }
    }

    /// __getattr__ fallback, __setattr__, __delattr__.
    #[pyclass]
    pub struct Dyn {
        attrs: std::collections::HashMap<String, i64>,
        #[pyo3(get)]
        real: i64,
    }

    #[pymethods]
    impl Dyn {
        #[new]
        fn new() -> Self { Dyn { attrs: Default::default(), real: 7 } }
        fn __getattr__(&self, name: &str) -> PyResult<i64> {
            self.attrs.get(name).copied().ok_or_else(|| pyo3::exceptions::PyAttributeError::new_err(format!("no {name}")))
        }
        fn __setattr__(&mut self, name: String, value: i64) { self.attrs.insert(name, value); }
        fn __delattr__(&mut self, name: &str) -> PyResult<()> {
            self.attrs.remove(name).map(drop).ok_or_else(|| pyo3::exceptions::PyAttributeError::new_err(name.to_owned()))
        }
    }

    /// Recycled through PyO3's freelist (tp_alloc/tp_free + PyObject_Init).
    #[pyclass(freelist = 8)]
    pub struct Pooled {
        #[pyo3(get)]
        v: i64,
    }

    #[pymethods]
    impl Pooled {
        #[new]
        fn new(v: i64) -> Self {
            Pooled { v }
        }
    }

    #[pyclass(extends = pyo3::types::PySet)]
    pub struct TaggedSet {}

    #[pymethods]
    impl TaggedSet {
        #[new]
        #[pyo3(signature = (*_args))]
        fn new(_args: &Bound<'_, PyTuple>) -> Self {
            TaggedSet {}
        }

        /// PySet::len reads the base's `used` field inline.
        fn size(slf: &Bound<'_, Self>) -> usize {
            slf.as_super().len()
        }
    }

    #[pyclass(extends = pyo3::types::PyFloat)]
    pub struct Meters {}

    #[pymethods]
    impl Meters {
        #[new]
        #[pyo3(signature = (*_args))]
        fn new(_args: &Bound<'_, PyTuple>) -> Self {
            Meters {}
        }

        /// PyFloat::value reads the base's `ob_fval` inline.
        fn doubled(slf: &Bound<'_, Self>) -> f64 {
            slf.as_super().value() * 2.0
        }
    }

    #[pyfunction]
    fn make_counter(py: Python<'_>, start: i64) -> PyResult<Py<Counter>> {
        Py::new(py, Counter { count: start, step: 1 })
    }

    #[pyfunction]
    fn counter_value(c: PyRef<'_, Counter>) -> i64 {
        c.count
    }

    #[pyfunction]
    fn bump(mut c: PyRefMut<'_, Counter>) -> i64 {
        c.count += 100;
        c.count
    }

    // ---- datetime (PyO3's non-abi3 datetime API reads the fields inline) ----

    /// A fixed-offset tzinfo subclass (`extends = PyTzInfo`, as in PyO3's own tests).
    #[pyclass(extends = pyo3::types::PyTzInfo)]
    pub struct FixedTz {
        #[pyo3(get)]
        name: String,
        seconds: i32,
    }

    #[pymethods]
    impl FixedTz {
        #[new]
        fn new(name: String, seconds: i32) -> Self {
            FixedTz { name, seconds }
        }

        #[pyo3(signature = (_dt, /))]
        fn utcoffset<'py>(
            &self,
            py: Python<'py>,
            _dt: Option<&Bound<'py, pyo3::types::PyDateTime>>,
        ) -> PyResult<Bound<'py, pyo3::types::PyDelta>> {
            pyo3::types::PyDelta::new(py, 0, self.seconds, 0, true)
        }

        #[pyo3(signature = (_dt, /))]
        fn tzname(&self, _dt: Option<&Bound<'_, pyo3::types::PyDateTime>>) -> String {
            self.name.clone()
        }

        #[pyo3(signature = (_dt, /))]
        fn dst(&self, _dt: Option<&Bound<'_, pyo3::types::PyDateTime>>) -> Option<i32> {
            None
        }
    }

    /// `PyDateTime::new_with_fold`.
    #[pyfunction]
    #[pyo3(signature = (y, mo, d, h, mi, s, us, tz = None, fold = false))]
    #[allow(clippy::too_many_arguments)]
    fn make_datetime<'py>(
        py: Python<'py>, y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, us: u32,
        tz: Option<&Bound<'py, pyo3::types::PyTzInfo>>, fold: bool,
    ) -> PyResult<Bound<'py, pyo3::types::PyDateTime>> {
        pyo3::types::PyDateTime::new_with_fold(py, y, mo, d, h, mi, s, us, tz, fold)
    }

    /// The fields PyO3's accessor traits read from a datetime.
    #[pyfunction]
    fn datetime_fields<'py>(
        dt: &Bound<'py, pyo3::types::PyDateTime>,
    ) -> (i32, u8, u8, u8, u8, u8, u32, bool, Option<Bound<'py, pyo3::types::PyTzInfo>>) {
        use pyo3::types::{PyDateAccess, PyTimeAccess, PyTzInfoAccess};
        (
            dt.get_year(), dt.get_month(), dt.get_day(), dt.get_hour(), dt.get_minute(), dt.get_second(),
            dt.get_microsecond(), dt.get_fold(), dt.get_tzinfo(),
        )
    }

    /// `PyDelta::new` (normalising) and the fields PyO3 reads back.
    #[pyfunction]
    fn delta_roundtrip(py: Python<'_>, days: i32, seconds: i32, us: i32) -> PyResult<(i32, i32, i32)> {
        use pyo3::types::PyDeltaAccess;
        let d = pyo3::types::PyDelta::new(py, days, seconds, us, true)?;
        Ok((d.get_days(), d.get_seconds(), d.get_microseconds()))
    }

    /// `PyDate::new`, `PyTime::new` and `PyDate::today`-free accessors.
    #[pyfunction]
    fn date_and_time<'py>(py: Python<'py>, y: i32, m: u8, d: u8) -> PyResult<(Bound<'py, pyo3::types::PyDate>, Bound<'py, pyo3::types::PyTime>, (i32, u8, u8))> {
        use pyo3::types::PyDateAccess;
        let date = pyo3::types::PyDate::new(py, y, m, d)?;
        let time = pyo3::types::PyTime::new(py, 1, 2, 3, 4, None)?;
        let fields = (date.get_year(), date.get_month(), date.get_day());
        Ok((date, time, fields))
    }
}
