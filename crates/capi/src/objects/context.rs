//! `context.h`: `PyContext_*`, `PyContextVar_*`, `PyContextToken`.
