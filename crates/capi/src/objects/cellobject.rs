//! `cellobject.h`: `PyCell_*`.
