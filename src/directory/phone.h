/*
 * Phone numbers as the directory stores them (DIR-4): the E.164 form each
 * number is sealed and blind-indexed under, so that "138 0013 8000" typed
 * in a tenant whose default country is CN and "+86 138-0013-8000" find the
 * same record; and the display mask (DIR-5) shown to a viewer who may not
 * see numbers. The rules are libphonenumber's (Debian's libphonenumber, a
 * C++ library behind this C API, src/directory/phone.cc): its metadata says
 * which numbers exist. Pure functions over text: no database, no keys.
 * Thread-safe: the library's PhoneNumberUtil is a read-only singleton.
 */
#ifndef SV_DIRECTORY_PHONE_H
#define SV_DIRECTORY_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest E.164 number: "+" and at most 15 digits (ITU-T E.164). */
#define SV_PHONE_E164_MAX 16
/** Longest input sv_phone_normalise() looks at, in bytes. */
#define SV_PHONE_INPUT_MAX 64

/** What sv_phone_normalise() made of a number. */
enum sv_phone_result {
    /** A valid number; its E.164 form is in the out buffer. */
    SV_PHONE_OK = 0,
    /** Not a number that exists: the client's fault (field_invalid). */
    SV_PHONE_INVALID,
    /** The region is not one sv_phone_region_check() accepts: the
     * tenant's setting or the caller is wrong, not the number. */
    SV_PHONE_REGION,
    /** The library failed (out of memory): our fault, not the input's. */
    SV_PHONE_INTERNAL,
};

/**
 * Whether @p region is a region libphonenumber has numbering rules for:
 * exactly two upper-case ASCII letters, an ISO 3166-1 alpha-2 code such as
 * "CN", "US" or "DE". Lower case ("cn"), "ZZ" (unknown), "001"
 * (non-geographic) and NULL are refused.
 */
bool sv_phone_region_check(const char *region);

/**
 * The E.164 form of a phone number as a person typed it.
 *
 * @p in is at most SV_PHONE_INPUT_MAX bytes of valid UTF-8 made of digits,
 * spaces, '-', '.', '(' and ')', with an optional '+' before the first
 * digit; the full-width forms of these (U+FF10-U+FF19, U+FF0B, U+FF0D,
 * U+FF0E, U+FF08, U+FF09) and the ideographic space U+3000, as Chinese
 * input methods type them, count as the same characters. Anything else
 * (letters, "ext", "tel:", a control character, invalid UTF-8, a longer
 * input) is refused before the library sees it: libphonenumber alone would
 * read "call 13800138000" or "1-800-FLOWERS" as numbers.
 *
 * A number with '+' (or an international call prefix of @p region, such as
 * "0086" in CN or "011" in US) is read as international; any other as a
 * national number of @p region, with its national prefix ("0" in DE and GB)
 * optional. Only numbers libphonenumber calls valid (IsValidNumber: a
 * number range in use in that country, not merely the right length) are
 * accepted.
 *
 * @param[in]  in      The number as typed; NULL is SV_PHONE_INVALID.
 * @param[in]  region  The tenant's default country; checked with
 *                     sv_phone_region_check() even when @p in starts with
 *                     '+', so a bad tenant setting shows at once.
 * @param[out] out     SV_PHONE_E164_MAX + 1 bytes: "+8613800138000".
 * @return SV_PHONE_OK with @p out written; otherwise SV_PHONE_REGION (bad
 *         @p region, checked first), SV_PHONE_INVALID (bad number) or
 *         SV_PHONE_INTERNAL, each with @p out the empty string.
 */
enum sv_phone_result sv_phone_normalise(const char *in, const char *region,
                                        char out[SV_PHONE_E164_MAX + 1]);

/**
 * The display mask of an E.164 number (DIR-5), for a viewer who may not
 * see numbers: its national significant number (the digits after the
 * country code, Italy's leading zero included) with the middle replaced
 * by '*'. For a national significant number of n digits:
 *   - the last min(4, n - 2) digits are shown;
 *   - the first min(3, max(0, n - 6)) digits are shown;
 *   - every other digit is a '*', so at least 2 always are.
 * So 11 digits show 3 + 4 ("+8613812341234" -> "138****1234"), 10 show
 * 3 + 4 ("+12025550123" -> "202***0123"), 7 show 1 + 4, 6 show 0 + 4
 * ("**3456"), 5 show 0 + 3 ("**345"). The country code is not shown.
 *
 * @param[in]  e164  A number as sv_phone_normalise() wrote it. The number
 *                   need not be valid under the current metadata (a stored
 *                   number stays displayable after a library update), but
 *                   it must be "+" and 2-15 digits with a known country
 *                   code; otherwise @p out is the empty string.
 * @param[out] out   @p len bytes, always NUL-terminated when @p len > 0;
 *                   SV_PHONE_E164_MAX bytes hold every mask. When the mask
 *                   does not fit, @p out is the empty string, never a cut
 *                   mask.
 * @param[in]  len   Size of @p out.
 *
 * WARNING: the mask is for display only. Masks collide by design; never
 * search, index or compare by one.
 */
void sv_phone_mask(const char *e164, char *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif
