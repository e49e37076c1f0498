//! `funcobject.h`: `PyFunction_*`, `PyClassMethod_New`, `PyStaticMethod_New`.
