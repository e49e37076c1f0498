//! A host program: runs Python through PyO3, exactly as it would against
//! CPython, with the interpreter coming from libpyfacade.so.

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};

/// A host type Python code can use.
#[pyclass]
struct Counter {
    count: u64,
}

#[pymethods]
impl Counter {
    #[new]
    fn new() -> Self {
        Counter { count: 0 }
    }

    fn bump(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }
}

fn main() -> PyResult<()> {
    Python::attach(|py| {
        // The standard library is there, with no files on disk.
        let sys = py.import("sys")?;
        let version: String = sys.getattr("version")?.extract()?;
        println!("Python {}", version.lines().next().unwrap_or_default());

        // Globals shared by the snippets below: a host class and a Rust closure.
        let globals = PyDict::new(py);
        globals.set_item("Counter", py.get_type::<Counter>())?;
        let greet = PyCFunction::new_closure(py, None, None, |args: &Bound<'_, PyTuple>, _kw: Option<&Bound<'_, PyDict>>| -> PyResult<String> {
            let who: String = args.get_item(0)?.extract()?;
            Ok(format!("hello, {who}"))
        })?;
        globals.set_item("greet", greet)?;

        py.run(
            c"import json, statistics\n\
              c = Counter()\n\
              for n in range(1, 11):\n    c.bump(n)\n\
              data = json.dumps({'total': c.bump(0), 'mean': statistics.mean(range(1, 11))})\n\
              message = greet('pyfacade')\n",
            Some(&globals),
            None,
        )?;
        let data: String = globals.get_item("data")?.expect("set by the script").extract()?;
        let message: String = globals.get_item("message")?.expect("set by the script").extract()?;
        println!("{data}");
        println!("{message}");

        // Python callables called from Rust.
        let sorted = py.eval(c"sorted", None, None)?.call1((vec![3, 1, 2],))?;
        println!("sorted: {sorted}");

        // Errors come back as PyErr, with their traceback.
        let err = py.run(c"def f():\n    return 1 / 0\nf()\n", None, None).unwrap_err();
        println!("caught: {err}");
        Ok(())
    })
}
