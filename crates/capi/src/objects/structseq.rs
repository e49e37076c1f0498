//! `structseq.h`: `PyStructSequence_*`.
