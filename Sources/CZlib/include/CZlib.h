#ifndef CZLIB_H
#define CZLIB_H
// System zlib (libz-dev) for RFC 7692 permessage-deflate. deflateInit2/inflateInit2 are
// macros, which Swift cannot import: wrap them.
#include <zlib.h>

static inline int czlib_deflate_init(z_stream *s, int level, int window_bits) {
    return deflateInit2(s, level, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY);
}
static inline int czlib_inflate_init(z_stream *s, int window_bits) {
    return inflateInit2(s, -window_bits);
}
#endif
