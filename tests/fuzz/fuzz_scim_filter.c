/*
 * Fuzz: SCIM filters (issue 11, part 7) through scim_filter_parse(): never
 * a crash; an accepted filter has a well-formed attribute, a value of
 * valid UTF-8 without NUL, and parses to the same thing when written back
 * out as the canonical `attr eq "value"`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "fuzz.h"
#include "scim/filter.h"

#define URN "urn:ietf:params:scim:schemas:core:2.0:User"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scim_filter f, g;
    char *s, again[2 * SCIM_FILTER_MAX + 16];
    size_t n = 0;

    if (size > 4096)
        return 0;
    s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (scim_filter_parse(s, URN, &f)) {
        if (f.attr[0] == '\0' || strlen(f.attr) > SCIM_ATTR_MAX ||
            strlen(f.value) > SCIM_VALUE_MAX ||
            !sv_utf8_valid(f.value, strlen(f.value)))
            abort();
        if (f.is_bool) {
            snprintf(again, sizeof again, "%s eq %s", f.attr,
                     f.bool_value ? "true" : "false");
        } else {
            /* Written back with every '"', '\\' and control escaped. */
            n = (size_t)snprintf(again, sizeof again, "%s eq \"", f.attr);
            for (const char *p = f.value; *p; p++) {
                if (*p == '"' || *p == '\\')
                    again[n++] = '\\';
                if ((unsigned char)*p < 0x20) {
                    n += (size_t)snprintf(again + n, sizeof again - n,
                                          "\\u%04x", (unsigned char)*p);
                    continue;
                }
                again[n++] = *p;
            }
            again[n++] = '"';
            again[n] = '\0';
        }
        if (strlen(again) <= SCIM_FILTER_MAX) {
            if (!scim_filter_parse(again, URN, &g) ||
                strcmp(f.attr, g.attr) != 0 || f.is_bool != g.is_bool ||
                f.bool_value != g.bool_value || strcmp(f.value, g.value) != 0)
                abort();
        }
    }
    free(s);
    return 0;
}
