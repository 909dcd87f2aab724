/*
 * Fuzz: phone numbers (DIR-4) through sv_phone_normalise() and the mask
 * (DIR-5). The first byte picks the region (a few that libphonenumber
 * refuses among them), the rest is the number as typed.
 */
#include <stdlib.h>
#include <string.h>

#include "directory/phone.h"
#include "fuzz.h"

static const char *const regions[] = {
    "CN", "US", "DE", "GB", "HK", "TW", "MO", "JP", "KR",  "SG",  "IT",
    "FR", "IN", "BR", "RU", "AU", "NU", "ZZ", "cn", "CHN", "001", "",
};

/* "+" and 1-15 ASCII digits. */
static int
e164_shaped(const char *s)
{
    size_t n = strlen(s);

    if (n < 2 || n > SV_PHONE_E164_MAX || s[0] != '+')
        return 0;
    return strspn(s + 1, "0123456789") == n - 1;
}

/* A mask is empty, or digits and at least 2 '*' (never a '+'). */
static int
mask_ok(const char *m)
{
    return m[0] == '\0' ||
           (strspn(m, "0123456789*") == strlen(m) && strstr(m, "**") != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[SV_PHONE_E164_MAX + 1], again[SV_PHONE_E164_MAX + 1];
    char mask[SV_PHONE_E164_MAX];
    const char *region;
    enum sv_phone_result r;
    char *s;

    if (size < 1 || size > 4096)
        return 0;
    region = regions[data[0] % (sizeof regions / sizeof *regions)];
    s = malloc(size);
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';

    r = sv_phone_normalise(s, region, out);
    if (!sv_phone_region_check(region) && r != SV_PHONE_REGION)
        abort(); /* the region is checked first */
    if (r != SV_PHONE_OK && out[0] != '\0')
        abort(); /* a refusal leaves out empty */
    if (r == SV_PHONE_OK) {
        /* E.164, a fixed point in any region, and it always masks. */
        if (!e164_shaped(out) || strlen(s) > SV_PHONE_INPUT_MAX)
            abort();
        if (sv_phone_normalise(out, "DE", again) != SV_PHONE_OK ||
            strcmp(out, again) != 0)
            abort();
        sv_phone_mask(out, mask, sizeof mask);
        if (mask[0] == '\0' || !mask_ok(mask) || strlen(mask) >= strlen(out))
            abort();
    }
    /* Whatever the input, the mask never crashes and never shows it all. */
    sv_phone_mask(s, mask, sizeof mask);
    if (!mask_ok(mask))
        abort();
    free(s);
    return 0;
}
