/*
 * The C API of phone.h over libphonenumber (C++). The only C++ file of the
 * project: small on purpose. Input is checked and folded to ASCII here
 * before the library sees it; nothing the library throws (std::bad_alloc
 * from std::string) crosses into C.
 */
#include "directory/phone.h"

#include <cstring>
#include <mutex>
#include <set>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

/*
 * @p in folded to ASCII in @p ascii (SV_PHONE_INPUT_MAX + 1 bytes): the
 * characters phone.h allows, full-width ones as their ASCII forms. False
 * for anything else, invalid UTF-8 and control characters included (only
 * the exact sequences below pass), and for input over SV_PHONE_INPUT_MAX
 * bytes. One '+', before the first digit; at least one digit.
 */
static bool
fold_input(const char *in, char *ascii)
{
    size_t n = 0;
    bool digit = false, plus = false;

    if (strnlen(in, SV_PHONE_INPUT_MAX + 1) > SV_PHONE_INPUT_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)in; *p != '\0';) {
        unsigned char c = *p;
        if (c == 0xe3 && p[1] == 0x80 && p[2] == 0x80) {
            c = ' '; /* U+3000 ideographic space */
            p += 3;
        } else if (c == 0xef && p[1] == 0xbc && p[2] >= 0x88 && p[2] <= 0x99) {
            c = (unsigned char)(p[2] - 0x88 + '('); /* U+FF08-U+FF19 */
            p += 3;
        } else if (c < 0x80) {
            p++;
        } else {
            return false;
        }
        if (c >= '0' && c <= '9') {
            digit = true;
        } else if (c == '+') {
            if (plus || digit)
                return false;
            plus = true;
        } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
            return false; /* letters, ',', '*', '/', controls, ... */
        }
        ascii[n++] = (char)c;
    }
    ascii[n] = '\0';
    return digit;
}

static bool
region_ok(const PhoneNumberUtil *util, const char *region)
{
    return region != NULL && region[0] >= 'A' && region[0] <= 'Z' &&
           region[1] >= 'A' && region[1] <= 'Z' && region[2] == '\0' &&
           util->GetCountryCodeForRegion(region) != 0;
}

extern "C" bool
sv_phone_region_check(const char *region)
{
    try {
        return region_ok(PhoneNumberUtil::GetInstance(), region);
    } catch (...) {
        return false;
    }
}

extern "C" enum sv_phone_result
sv_phone_normalise(const char *in, const char *region,
                   char out[SV_PHONE_E164_MAX + 1])
{
    char ascii[SV_PHONE_INPUT_MAX + 1];

    out[0] = '\0';
    try {
        const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
        PhoneNumber number;
        std::string e164;

        if (!region_ok(util, region))
            return SV_PHONE_REGION;
        if (in == NULL || !fold_input(in, ascii))
            return SV_PHONE_INVALID;
        if (util->Parse(ascii, region, &number) !=
                PhoneNumberUtil::NO_PARSING_ERROR ||
            number.has_extension() || !util->IsValidNumber(number))
            return SV_PHONE_INVALID;
        util->Format(number, PhoneNumberUtil::E164, &e164);
        if (e164.size() < 2 || e164.size() > SV_PHONE_E164_MAX ||
            e164[0] != '+')
            return SV_PHONE_INTERNAL; /* a valid number is never this */
        memcpy(out, e164.c_str(), e164.size() + 1);
        return SV_PHONE_OK;
    } catch (...) {
        out[0] = '\0';
        return SV_PHONE_INTERNAL;
    }
}

/* "+" and 2-15 ASCII digits. */
static bool
e164_shape(const char *s)
{
    size_t n = 0;

    if (s == NULL || s[0] != '+')
        return false;
    for (s++; *s != '\0'; s++, n++)
        if (*s < '0' || *s > '9' || n == SV_PHONE_E164_MAX - 1)
            return false;
    return n >= 2;
}

extern "C" void
sv_phone_mask(const char *e164, char *out, size_t len)
{
    if (len == 0)
        return;
    out[0] = '\0';
    try {
        /* The national significant number is what follows the country
         * calling code (codes are prefix-free: 1-3 digits). A table of the
         * codes, built once, instead of a parse per number: a page of 50
         * masked phones is a hot path (DIR-5). */
        static bool codes[1000];
        static std::once_flag once;
        std::call_once(once, [] {
            std::set<int> known;
            PhoneNumberUtil::GetInstance()->GetSupportedCallingCodes(&known);
            for (int cc : known)
                if (cc > 0 && cc < 1000)
                    codes[cc] = true;
        });
        if (!e164_shape(e164) || e164[1] == '0') /* no code starts with 0 */
            return;
        size_t cc_len = 0;
        for (size_t k = 1, v = 0; k <= 3 && cc_len == 0 && e164[k]; k++) {
            v = v * 10 + (size_t)(e164[k] - '0'); /* a digit: e164_shape */
            if (codes[v])
                cc_len = k;
        }
        if (cc_len == 0)
            return;
        std::string nsn(e164 + 1 + cc_len);
        size_t n = nsn.size();
        if (n < 2 || n >= len)
            return;
        /* phone.h: the last min(4, n - 2), the first min(3, n - 6) when
         * positive; at least 2 masked. */
        size_t tail = n - 2 < 4 ? n - 2 : 4;
        size_t head = n > 6 ? (n - 6 < 3 ? n - 6 : 3) : 0;
        for (size_t i = 0; i < n; i++)
            out[i] = i < head || i >= n - tail ? nsn[i] : '*';
        out[n] = '\0';
    } catch (...) {
        out[0] = '\0';
    }
}
