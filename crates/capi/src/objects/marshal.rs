//! `marshal.h`: `PyMarshal_*`.
