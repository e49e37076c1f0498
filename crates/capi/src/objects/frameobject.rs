//! `frameobject.h` / `pyframe.h`: `PyFrame_*`.
