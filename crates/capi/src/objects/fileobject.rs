//! `fileobject.h`: `PyFile_*`.
