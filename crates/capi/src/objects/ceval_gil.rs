//! `ceval.h` (threads): `PyEval_AcquireThread` and the other GIL-state calls.
