//! `initconfig.h`: `PyConfig_*`, `PyInitConfig_*`, `PyPreConfig_*`, `PyStatus_*`, `PyWideStringList_*`.
