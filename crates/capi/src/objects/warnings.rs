//! `warnings.h`: `PyErr_Warn*`, `PyErr_ResourceWarning`.
