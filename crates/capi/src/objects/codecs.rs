//! `codecs.h`: the codec registry and error handlers (`PyCodec_*`).
