/*
 * A CSV answer being written (RFC 4180): fields always quoted, quotes
 * doubled, rows ended by CRLF; a value a spreadsheet would run as a
 * formula (= + - @, tab or CR first) gets a leading apostrophe, since what
 * we export holds what others typed. The buffer grows as needed and is
 * wiped when it grows or is freed (exports carry personal data).
 */
#ifndef SV_CORE_CSV_H
#define SV_CORE_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct sv_csv {
    char *out; /* bytes not yet sent: out[pos..len) */
    size_t len, cap, pos;
    bool failed; /* out of memory: the answer must be cut */
};

/** Append one field (NULL: empty); @p last ends the row. */
void sv_csv_field(struct sv_csv *c, const char *v, bool last);
/** Copy up to @p max unsent bytes into @p buf; how many. Once all is sent
 *  the buffer starts over (len = pos = 0). */
size_t sv_csv_take(struct sv_csv *c, char *buf, size_t max);
/** Wipe and free the buffer. */
void sv_csv_free(struct sv_csv *c);

#endif
