#ifndef CZLIB_H
#define CZLIB_H
// System zlib (libz-dev) for RFC 7692 permessage-deflate. deflateInit2/inflateInit2 are
// macros, which Swift cannot import: wrap them.
#include <zlib.h>

// Negative window bits: raw deflate, no zlib header (RFC 7692 §7.2.1).
static inline int czlib_deflate_init(z_stream *s, int level, int window_bits, int mem_level) {
    return deflateInit2(s, level, Z_DEFLATED, -window_bits, mem_level, Z_DEFAULT_STRATEGY);
}
static inline int czlib_inflate_init(z_stream *s, int window_bits) {
    return inflateInit2(s, -window_bits);
}
#endif
