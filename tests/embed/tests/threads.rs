//! Host threads and the interpreter: attach from many threads at once,
//! `py.detach` while other threads run Python (and collect garbage, which
//! stops the world in RustPython), `Py<T>` shared across threads, and many
//! attach/detach cycles without deadlock.

use pyo3::prelude::*;
use pyo3::types::PyList;
use pyfacade_embed::ok;
use std::sync::{Arc, Barrier};
use std::time::Duration;

fn main() {
    Python::initialize();

    // One list shared by every thread.
    let shared: Py<PyList> = Python::attach(|py| PyList::empty(py).unbind());
    let shared = Arc::new(shared);

    // 8 host threads attach concurrently and run Python.
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let shared = shared.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..50 {
                    Python::attach(|py| {
                        let v: i64 = py.eval(c"sum(range(100))", None, None).unwrap().extract().unwrap();
                        assert_eq!(v, 4950);
                        shared.bind(py).append((t, i)).unwrap();
                    });
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    Python::attach(|py| assert_eq!(shared.bind(py).len(), 400));
    ok("8 host threads attach concurrently");

    // The main thread detaches (blocking in host code) while another thread
    // runs Python and collects garbage (a stop-the-world in RustPython).
    Python::attach(|py| {
        let (tx, rx) = std::sync::mpsc::channel();
        let worker = std::thread::spawn(move || {
            Python::attach(|py| {
                py.run(c"import gc\nx = [[i] for i in range(10000)]\ngc.collect()\ndel x", None, None).unwrap();
            });
            tx.send(()).unwrap();
        });
        py.detach(move || {
            rx.recv_timeout(Duration::from_secs(60)).expect("the worker finished while this thread was detached");
        });
        worker.join().unwrap();
    });
    ok("py.detach lets another thread run Python and gc.collect");

    // Threads that stay detached a long time do not block the others.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                Python::attach(|py| {
                    py.detach(|| std::thread::sleep(Duration::from_millis(200)));
                    py.run(c"import gc; gc.collect()", None, None).unwrap();
                })
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    ok("detached threads and gc.collect from several threads");

    // Many attach/detach cycles, from the main thread and a new thread.
    for _ in 0..10_000 {
        Python::attach(|py| {
            py.detach(|| ());
        });
    }
    std::thread::spawn(|| {
        for _ in 0..10_000 {
            Python::attach(|_py| {});
        }
    })
    .join()
    .unwrap();
    ok("20k attach/detach cycles");
}
