//! The interpreter's life in a host: `append_to_inittab!` before
//! initialisation, auto-initialisation, run/eval, stdlib imports, calls both
//! ways, errors with tracebacks, `Py_FinalizeEx` (atexit handlers run), and
//! a second initialisation after finalising.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use pyfacade_embed::{eval, ok};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A host module made importable with `append_to_inittab!`.
#[pymodule]
mod hostmod {
    use pyo3::prelude::*;

    #[pyfunction]
    fn double(x: i64) -> i64 {
        2 * x
    }

    #[pyclass]
    pub struct Counter {
        #[pyo3(get)]
        pub n: u64,
    }

    #[pymethods]
    impl Counter {
        #[new]
        pub fn new() -> Self {
            Counter { n: 0 }
        }
        fn bump(&mut self) -> u64 {
            self.n += 1;
            self.n
        }
    }

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("ANSWER", 42)
    }
}

static ATEXIT_RAN: AtomicUsize = AtomicUsize::new(0);

fn main() {
    // SAFETY: plain queries before initialisation.
    assert_eq!(unsafe { ffi::Py_IsInitialized() }, 0);
    pyo3::append_to_inittab!(hostmod);
    ok("append_to_inittab before initialisation");

    Python::attach(|py| {
        // SAFETY: plain query.
        assert_eq!(unsafe { ffi::Py_IsInitialized() }, 1);
        assert_eq!(unsafe { ffi::PyGILState_Check() }, 1);
        ok("auto-initialize: initialised, GIL held inside attach");

        // run / eval with globals and locals
        let globals = PyDict::new(py);
        let locals = PyDict::new(py);
        locals.set_item("base", 40).unwrap();
        py.run(c"import math\nx = base + 2\ny = math.sqrt(16)", Some(&globals), Some(&locals)).unwrap();
        assert_eq!(locals.get_item("x").unwrap().unwrap().extract::<i64>().unwrap(), 42);
        assert_eq!(locals.get_item("y").unwrap().unwrap().extract::<f64>().unwrap(), 4.0);
        let v: i64 = py.eval(c"x * 2", Some(&globals), Some(&locals)).unwrap().extract().unwrap();
        assert_eq!(v, 84);
        ok("py.run / py.eval with globals and locals");

        // stdlib imports (no files on disk for pyfacade: the frozen stdlib)
        let json = py.import("json").unwrap();
        let s: String = json.call_method1("dumps", (vec![1, 2, 3],)).unwrap().extract().unwrap();
        assert_eq!(s, "[1, 2, 3]");
        let loaded = json.call_method1("loads", (r#"{"a": [1, 2.5, null]}"#,)).unwrap();
        assert_eq!(loaded.get_item("a").unwrap().len().unwrap(), 3);
        for m in ["os", "re", "collections", "itertools", "functools", "threading", "decimal", "datetime"] {
            py.import(m).unwrap_or_else(|e| panic!("import {m}: {e}"));
        }
        ok("stdlib imports");

        // Python callables called from Rust
        let f = py.eval(c"lambda a, b=10: a * b", None, None).unwrap();
        assert_eq!(f.call1((4,)).unwrap().extract::<i64>().unwrap(), 40);
        let kw = PyDict::new(py);
        kw.set_item("b", 3).unwrap();
        assert_eq!(f.call((4,), Some(&kw)).unwrap().extract::<i64>().unwrap(), 12);
        ok("Python called from Rust");

        // Rust closures called from Python
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let c2 = calls.clone();
        let add = PyCFunction::new_closure(py, Some(c"add"), None, move |args: &Bound<'_, PyTuple>, _kw: Option<&Bound<'_, PyDict>>| -> PyResult<i64> {
            c2.fetch_add(1, Ordering::SeqCst);
            let a: i64 = args.get_item(0)?.extract()?;
            let b: i64 = args.get_item(1)?.extract()?;
            Ok(a + b)
        })
        .unwrap();
        let g = PyDict::new(py);
        g.set_item("add", &add).unwrap();
        let r: i64 = py.eval(c"sum(add(i, i) for i in range(100))", Some(&g), None).unwrap().extract().unwrap();
        assert_eq!(r, 9900);
        assert_eq!(calls.load(Ordering::SeqCst), 100);
        ok("Rust closures called from Python");

        // the inittab module, imported by name
        let m = py.import("hostmod").unwrap();
        assert_eq!(m.getattr("ANSWER").unwrap().extract::<i64>().unwrap(), 42);
        assert_eq!(eval::<i64>(py, c"__import__('hostmod').double(21)"), 42);
        let n: u64 = py.eval(c"(lambda c: (c.bump(), c.bump(), c.n)[2])(__import__('hostmod').Counter())", None, None).unwrap().extract().unwrap();
        assert_eq!(n, 2);
        let builtin: bool = eval(py, c"'hostmod' in __import__('sys').builtin_module_names");
        assert!(builtin);
        let has_file: bool = eval(py, c"hasattr(__import__('hostmod'), '__file__')");
        assert!(!has_file);
        ok("append_to_inittab module importable, pyclass works");

        // a host pyclass passed to Python and back
        let counter = Bound::new(py, hostmod::Counter::new()).unwrap();
        let g = PyDict::new(py);
        g.set_item("c", &counter).unwrap();
        py.run(c"c.bump(); c.bump(); c.bump()", Some(&g), None).unwrap();
        assert_eq!(counter.borrow().n, 3);
        ok("pyclass object passed to Python and back");

        // errors with tracebacks
        let err = py.run(c"def f():\n    raise ValueError('boom')\nf()", None, None).unwrap_err();
        assert!(err.is_instance_of::<pyo3::exceptions::PyValueError>(py));
        let tb = err.traceback(py).expect("a traceback").format().unwrap();
        assert!(tb.contains("in f"), "{tb}");
        assert_eq!(err.value(py).to_string(), "boom");
        ok("errors with tracebacks");

        // a Py<T> kept beyond this attach scope
        let kept: Py<PyAny> = py.eval(c"[1, 2, 3]", None, None).unwrap().unbind();
        KEPT.set(kept).ok();

        // atexit handlers run at finalisation
        let mark = PyCFunction::new_closure(py, None, None, |_a: &Bound<'_, PyTuple>, _k: Option<&Bound<'_, PyDict>>| {
            ATEXIT_RAN.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        py.import("atexit").unwrap().call_method1("register", (mark,)).unwrap();
    });

    Python::attach(|py| {
        let kept = KEPT.get().unwrap().bind(py);
        assert_eq!(kept.len().unwrap(), 3);
        ok("Py<T> held across attach scopes");
    });

    // PyO3 released the GIL after initialising (PyEval_SaveThread):
    // finalise with it held, as CPython requires.
    // SAFETY: the thread state PyO3 saved is this thread's; retake it.
    unsafe {
        let _ = ffi::PyGILState_Ensure();
        assert_eq!(ATEXIT_RAN.load(Ordering::SeqCst), 0);
        assert_eq!(ffi::Py_FinalizeEx(), 0);
        assert_eq!(ffi::Py_IsInitialized(), 0);
    }
    assert_eq!(ATEXIT_RAN.load(Ordering::SeqCst), 1);
    ok("Py_FinalizeEx: returns 0, atexit handlers ran, not initialised afterwards");

    // A second life: initialise again, run code, finalise.
    // SAFETY: the C-API lifecycle, on this thread.
    unsafe {
        ffi::Py_InitializeEx(0);
        assert_eq!(ffi::Py_IsInitialized(), 1);
        assert_eq!(ffi::PyRun_SimpleString(c"import json\nassert json.loads('[7]') == [7]".as_ptr()), 0);
        assert_eq!(ffi::Py_FinalizeEx(), 0);
        assert_eq!(ffi::Py_IsInitialized(), 0);
    }
    ok("second Py_InitializeEx after Py_FinalizeEx works");
}

static KEPT: std::sync::OnceLock<Py<PyAny>> = std::sync::OnceLock::new();
