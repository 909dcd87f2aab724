/*
 * Fuzz: the CSV import's parser and its rules (provision/import.h) without
 * a database: libcsv's strict reading, line counting, the header, every
 * field's rule, department paths and their escapes, manager links and
 * cycles. The first byte picks the phone region (one libphonenumber
 * refuses among them); the rest is the file.
 *
 * What must hold for any input: a verdict, never a crash, leak or hang;
 * errors in line order, each with a rule and a message, on a line that
 * exists (1 .. the file's line count + 1), and counts that add up.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "provision/import.h"

static const char *const regions[] = {"CN", "US", "DE", "ZZ"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sv_import_doc *d = NULL;
    struct sv_import_report r;
    const char *region;
    size_t lines = 1;
    enum sv_err rc;

    if (size < 1 || size > 64 * 1024)
        return 0;
    region = regions[data[0] % (sizeof regions / sizeof *regions)];
    for (size_t i = 1; i < size; i++)
        lines += data[i] == '\n' || data[i] == '\r';
    rc = sv_import_parse((const char *)data + 1, size - 1, region, NULL, &d);
    if (strcmp(region, "ZZ") == 0) {
        if (rc != SV_E_FIELD_INVALID || d != NULL)
            abort(); /* the region is checked first */
        return 0;
    }
    if (rc != SV_OK || d == NULL)
        abort();
    sv_import_doc_report(d, &r);
    if (r.n_kept > r.n_errors || r.lines != sv_import_doc_lines(d) ||
        r.employees > r.lines)
        abort();
    for (size_t i = 0; i < r.n_kept; i++) {
        const struct sv_import_error *e = &r.errors[i];
        if (e->rule == NULL || e->message == NULL || e->line < 1 ||
            e->line > lines + 1)
            abort();
        if (i > 0 && e->line < r.errors[i - 1].line)
            abort(); /* in line order */
    }
    sv_import_report_fini(&r);
    sv_import_doc_free(d);
    return 0;
}
