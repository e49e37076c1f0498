//! `lock.h` / `critical_section.h`: `PyMutex_*`, `PyEvent_*`, `PyCriticalSection*`.
