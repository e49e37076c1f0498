//! `weakrefobject.h`: `PyWeakref_*`.
