//! `sysmodule.h`: `PySys_*`.
