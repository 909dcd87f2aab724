/*
 * The embedded console files: Accept-Encoding parsing (RFC 9110 §12.5.3)
 * that picks the gzip variant, and the variants themselves (the gzip bytes
 * inflate to exactly the plain ones, each variant has its own ETag).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "http/http.h"
#include "http/static.h"

static void
accept_encoding(void **state)
{
    (void)state;
    assert_false(sv_accepts_gzip(NULL));
    assert_false(sv_accepts_gzip(""));
    assert_true(sv_accepts_gzip("gzip"));
    assert_true(sv_accepts_gzip("GZIP"));
    assert_true(sv_accepts_gzip("gzip, deflate, br, zstd"));
    assert_true(sv_accepts_gzip("br;q=1.0, gzip;q=0.8"));
    assert_true(sv_accepts_gzip("  deflate ,  gzip ; q=0.5"));
    assert_true(sv_accepts_gzip("*"));
    assert_true(sv_accepts_gzip("gzip;q=0.001"));
    assert_false(sv_accepts_gzip("gzip;q=0"));
    assert_false(sv_accepts_gzip("gzip; q=0.000"));
    assert_false(sv_accepts_gzip("*, gzip;q=0"));
    assert_false(sv_accepts_gzip("*;q=0"));
    assert_false(sv_accepts_gzip("identity"));
    assert_false(sv_accepts_gzip("deflate, br"));
    assert_false(sv_accepts_gzip("gzipx, xgzip"));
    assert_false(sv_accepts_gzip("x-gzip"));
    assert_true(sv_accepts_gzip("identity;q=0, *;q=0.5"));
}

static void
variants(void **state)
{
    bool script_gz = false;
    (void)state;
    assert_true(sv_static_files_len >= 3);
    for (unsigned i = 0; i < sv_static_files_len; i++) {
        const struct sv_static_file *f = &sv_static_files[i];
        if (f->gz == NULL)
            continue;
        if (strcmp(f->url, "/static/app.js") == 0)
            script_gz = true;
        assert_true(f->gz_len < f->len);
        assert_string_not_equal(f->etag, f->gz_etag);
        unsigned char *out = malloc(f->len + 1);
        z_stream z = {0};
        assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
        z.next_in = (unsigned char *)f->gz;
        z.avail_in = (unsigned)f->gz_len;
        z.next_out = out;
        z.avail_out = (unsigned)f->len + 1;
        assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
        assert_int_equal(z.total_out, f->len);
        assert_memory_equal(out, f->data, f->len);
        inflateEnd(&z);
        free(out);
    }
    assert_true(script_gz);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accept_encoding),
        cmocka_unit_test(variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
