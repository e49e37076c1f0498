//! `picklebufobject.h`: `PyPickleBuffer_*`.
