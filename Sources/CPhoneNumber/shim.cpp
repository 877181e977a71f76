// The C API of include/cphonenumber.h over libphonenumber's PhoneNumberUtil.
// PhoneNumberUtil::GetInstance() is built once (pthread_once) and its methods are const;
// its regular-expression cache takes a lock, so calls from several threads are safe.
// Every entry point catches every C++ exception (bad_alloc, length_error, ...): none
// reaches Swift.
#include "cphonenumber.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstring>
#include <set>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

// "ke" or "KE" -> "KE" in `code`; false unless exactly two ASCII letters.
bool region_code(const char *region, char code[3]) {
    if (region == nullptr) return false;
    for (int i = 0; i < 2; i++) {
        char c = region[i];
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c < 'A' || c > 'Z') return false;
        code[i] = c;
    }
    code[2] = 0;
    return region[2] == 0;
}

bool region_supported(const char code[3]) {
    // Built once, thread-safely (a function-local static), from libphonenumber's metadata.
    static const std::set<std::string> regions = [] {
        std::set<std::string> all;
        PhoneNumberUtil::GetInstance()->GetSupportedRegions(&all);
        return all;
    }();
    return regions.count(code) != 0;
}

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF), no NUL, and no
// letters: ASCII A-Z/a-z and their full-width forms U+FF21-FF3A/U+FF41-FF5A, which
// libphonenumber would otherwise read as keypad digits or an extension marker.
bool acceptable_text(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c == 0 || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return false;
            i += 1;
            continue;
        }
        size_t len;
        unsigned cp, min;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            unsigned b = s[i + k];
            if ((b & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A)) return false;
        i += len;
    }
    return true;
}

}  // namespace

extern "C" int lh_phone_region_known(const char *region) {
    try {
        char code[3];
        return region_code(region, code) && region_supported(code) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" int lh_phone_e164(const char *text, size_t length, const char *region, char *out, size_t capacity) {
    try {
        if (text == nullptr || out == nullptr || length == 0 || length > LH_PHONE_MAX_INPUT) return -1;
        if (!acceptable_text(reinterpret_cast<const unsigned char *>(text), length)) return -1;
        // "ZZ" (unknown region): libphonenumber then accepts only "+country..." numbers.
        char code[3] = {'Z', 'Z', 0};
        if (region != nullptr && !(region_code(region, code) && region_supported(code))) return -1;

        const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
        PhoneNumber number;
        if (util->Parse(std::string(text, length), code, &number) != PhoneNumberUtil::NO_PARSING_ERROR) return -1;
        // Possible, not valid: valid would also need the number's range to be in this
        // (Debian-frozen) metadata, refusing numbers from ranges allocated since, and
        // reserved test ranges. Possible still refuses wrong lengths; local-only numbers
        // (no area code) are refused, as their E.164 form would be wrong.
        if (util->IsPossibleNumberWithReason(number) != PhoneNumberUtil::IS_POSSIBLE) return -1;
        // E.164 has no extension: "0712345678 ext 5" is not the same as 0712345678.
        if (number.has_extension()) return -1;

        std::string e164;
        util->Format(number, PhoneNumberUtil::E164, &e164);
        // Kept and compared as E.164, so the form must read back as itself. It may not: KE
        // "007123456" formats as "+25407123456" (a leading zero libphonenumber keeps), which
        // reads back as "+2547123456". Such a number is refused.
        PhoneNumber again;
        std::string e164_again;
        if (util->Parse(e164, "ZZ", &again) != PhoneNumberUtil::NO_PARSING_ERROR) return -1;
        util->Format(again, PhoneNumberUtil::E164, &e164_again);
        if (e164_again != e164 || util->IsPossibleNumberWithReason(again) != PhoneNumberUtil::IS_POSSIBLE) return -1;
        if (e164.size() < 2 || e164[0] != '+' || e164.size() >= capacity) return -1;
        std::memcpy(out, e164.data(), e164.size());
        out[e164.size()] = 0;
        return static_cast<int>(e164.size());
    } catch (...) {
        return -1;
    }
}
