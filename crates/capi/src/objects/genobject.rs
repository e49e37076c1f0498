//! `genobject.h`: `PyGen_*`, `PyCoro_*`, `PyAsyncGen_*`.
