//! `pythonrun.h`: `PyRun_*`, `Py_CompileString*`.
