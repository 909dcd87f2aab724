/* A CSV answer being written: see csv.h. */
#include "core/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/util.h"

static void
add(struct sv_csv *c, const char *s, size_t n)
{
    if (c->failed)
        return;
    if (!sv_wipe_grow(&c->out, &c->cap, c->len, c->len + n + 1, 64 * 1024,
                      SIZE_MAX / 2)) {
        c->failed = true;
        return;
    }
    memcpy(c->out + c->len, s, n);
    c->len += n;
}

void
sv_csv_field(struct sv_csv *c, const char *v, bool last)
{
    add(c, "\"", 1);
    if (v != NULL) {
        if (v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL)
            add(c, "'", 1);
        for (const char *p = v, *q; *p; p = q + 1) {
            if ((q = strchr(p, '"')) == NULL) {
                add(c, p, strlen(p));
                break;
            }
            add(c, p, (size_t)(q - p) + 1);
            add(c, "\"", 1); /* a quote is doubled */
        }
    }
    add(c, last ? "\"\r\n" : "\",", last ? 3 : 2);
}

size_t
sv_csv_take(struct sv_csv *c, char *buf, size_t max)
{
    size_t n = c->len - c->pos < max ? c->len - c->pos : max;

    memcpy(buf, c->out + c->pos, n);
    c->pos += n;
    if (c->pos == c->len) {
        if (c->out != NULL)
            sodium_memzero(c->out, c->len);
        c->pos = c->len = 0;
    }
    return n;
}

void
sv_csv_free(struct sv_csv *c)
{
    if (c->out != NULL)
        sodium_memzero(c->out, c->cap);
    free(c->out);
    memset(c, 0, sizeof *c);
}
