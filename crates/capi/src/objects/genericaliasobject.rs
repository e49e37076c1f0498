//! `genericaliasobject.h`: `Py_GenericAlias`.
