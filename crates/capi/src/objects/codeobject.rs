//! `code.h`: `PyCode_*`, `PyUnstable_Code_*`.
