//! `classobject.h`: `PyMethod_*`, `PyInstanceMethod_*`.
