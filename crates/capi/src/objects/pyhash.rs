//! `pyhash.h`: `Py_HashBuffer`, `Py_HashPointer`, `PyHash_GetFuncDef`.
