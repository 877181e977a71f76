#ifndef CPHONENUMBER_H
#define CPHONENUMBER_H
// Google's libphonenumber (Debian's libphonenumber-dev) behind a plain C API: Swift sees
// no C++, and no C++ exception leaves the shim.
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Longest text lh_phone_e164 reads, in bytes: longer text is refused without parsing.
#define LH_PHONE_MAX_INPUT 64
// Room for any E.164 number lh_phone_e164 writes, with its terminating NUL.
#define LH_PHONE_E164_CAPACITY 24

// Writes the E.164 form of `text` ("+254712345678") and a NUL into `out`; returns its
// length without the NUL, or -1 when the text is not a phone number, the region is not
// one libphonenumber knows, or `out` is too small. `region` is an ISO 3166 alpha-2 code
// ("KE", either case) used for numbers written without "+country", or NULL: then only
// "+country..." numbers are read.
// A number is one libphonenumber parses and finds possible (IS_POSSIBLE: a length its
// region's plan allows, not local-only), with no extension and no letters (vanity
// spellings such as 1-800-FLOWERS are refused), whose E.164 form reads back as itself;
// the text must be UTF-8 with no NUL and at most LH_PHONE_MAX_INPUT bytes. Costs two
// libphonenumber parses (~15-20 us). Safe to call from several threads at once.
int lh_phone_e164(const char *text, size_t length, const char *region, char *out, size_t capacity);

// 1 when `region` (ISO 3166 alpha-2, either case) is a region libphonenumber has metadata
// for, else 0.
int lh_phone_region_known(const char *region);

#ifdef __cplusplus
}
#endif
#endif
