//! `odictobject.h`: `PyODict_*` (collections.OrderedDict).
