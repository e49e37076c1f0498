//! `ceval.h`: `PyEval_*` (frames, globals, evaluation), recursion guards.
