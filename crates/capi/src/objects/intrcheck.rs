//! `intrcheck.h` / `pylifecycle.h`: `PyOS_*` signal, fork and interrupt hooks.
