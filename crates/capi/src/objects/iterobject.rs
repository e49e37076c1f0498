//! `iterobject.h` / `abstract.h`: sequence and callable iterators, `PyIter_Send`, `PyAIter_Check`.
