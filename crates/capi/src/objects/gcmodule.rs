//! `objimpl.h`: `PyGC_*`.
