//! `descrobject.h`: `PyDescr_*`, `PyMember_*`, `PyWrapper_New`.
