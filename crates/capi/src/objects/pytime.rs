//! `pytime.h`: `PyTime_*`.
