/* QR codes: PNG size and content (decoded back with libzbar), SVG shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gd.h>
#include <sodium.h>
#include <zbar.h>

#include "auth/qr.h"

static const char URI[] =
    "otpauth://totp/Acme%20Corp:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    "&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30";

static const unsigned char PNG_SIG[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};

/** Decode the one QR code in @p im; malloc'd text, or NULL. */
static char *
zbar_decode(gdImagePtr im)
{
    int w = gdImageSX(im), h = gdImageSY(im);
    unsigned char *grey = malloc((size_t)w * (size_t)h);
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *zi = zbar_image_create();
    const zbar_symbol_t *sym;
    char *text = NULL;

    assert_non_null(grey);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int c = gdImageGetTrueColorPixel(im, x, y);

            grey[y * w + x] =
                (unsigned char)((gdTrueColorGetRed(c) + gdTrueColorGetGreen(c) +
                                 gdTrueColorGetBlue(c)) /
                                3);
        }
    }
    zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, (unsigned)w, (unsigned)h);
    zbar_image_set_data(zi, grey, (unsigned long)w * (unsigned long)h, NULL);
    if (zbar_scan_image(sc, zi) == 1) {
        sym = zbar_image_first_symbol(zi);
        if (sym != NULL && zbar_symbol_get_type(sym) == ZBAR_QRCODE)
            text = strdup(zbar_symbol_get_data(sym));
    }
    zbar_image_destroy(zi);
    zbar_image_scanner_destroy(sc);
    free(grey);
    return text;
}

static void
test_qr_png_size_and_content(void **state)
{
    (void)state;
    unsigned char *png = NULL;
    size_t png_len = 0;
    gdImagePtr im;
    char *text;

    /* 124 bytes at level M in byte mode need version 7: 45 modules. */
    assert_int_equal(sv_qr_png(URI, 4, &png, &png_len), SV_OK);
    assert_non_null(png);
    assert_memory_equal(png, PNG_SIG, sizeof PNG_SIG);
    im = gdImageCreateFromPngPtr((int)png_len, png);
    assert_non_null(im);
    assert_int_equal(gdImageSX(im), (45 + 8) * 4);
    assert_int_equal(gdImageSY(im), (45 + 8) * 4);
    /* The quiet zone is white; the finder pattern's corner is black. */
    assert_int_equal(gdImageGetTrueColorPixel(im, 0, 0) & 0xffffff, 0xffffff);
    assert_int_equal(gdImageGetTrueColorPixel(im, 15, 15) & 0xffffff, 0xffffff);
    assert_int_equal(gdImageGetTrueColorPixel(im, 16, 16) & 0xffffff, 0);
    text = zbar_decode(im);
    assert_non_null(text);
    assert_string_equal(text, URI);
    free(text);
    gdImageDestroy(im);
    free(png);
}

static void
test_qr_png_small_text(void **state)
{
    (void)state;
    unsigned char *png = NULL;
    size_t png_len = 0;
    gdImagePtr im;
    char *text;

    /* Version 1 is 21 modules. */
    assert_int_equal(sv_qr_png("HELLO", 3, &png, &png_len), SV_OK);
    im = gdImageCreateFromPngPtr((int)png_len, png);
    assert_non_null(im);
    assert_int_equal(gdImageSX(im), (21 + 8) * 3);
    text = zbar_decode(im);
    assert_non_null(text);
    assert_string_equal(text, "HELLO");
    free(text);
    gdImageDestroy(im);
    free(png);
}

static void
test_qr_png_rejects_bad_input(void **state)
{
    (void)state;
    unsigned char *png = (unsigned char *)"x";
    size_t png_len = 1;
    char *big = malloc(8000);

    assert_int_equal(sv_qr_png("x", 0, &png, &png_len), SV_E_FIELD_INVALID);
    assert_null(png);
    assert_int_equal(png_len, 0);
    assert_int_equal(sv_qr_png("x", 1000, &png, &png_len), SV_E_FIELD_INVALID);
    /* More than version 40 holds. */
    assert_non_null(big);
    memset(big, 'z', 7999);
    big[7999] = '\0';
    assert_int_equal(sv_qr_png(big, 4, &png, &png_len), SV_E_FIELD_INVALID);
    assert_null(png);
    assert_null(sv_qr_svg(big));
    free(big);
}

static void
test_qr_svg(void **state)
{
    (void)state;
    char *svg = sv_qr_svg(URI);

    assert_non_null(svg);
    assert_memory_equal(svg, "<svg", 4);
    assert_non_null(strstr(svg, "viewBox=\"0 0 53 53\""));
    assert_non_null(strstr(svg, "shape-rendering=\"crispEdges\""));
    assert_non_null(strstr(svg, "fill=\"#fff\""));
    /* One path; the top-left finder starts at the quiet zone's edge. */
    assert_non_null(strstr(svg, "<path"));
    assert_null(strstr(strstr(svg, "<path") + 1, "<path"));
    assert_non_null(strstr(svg, "d=\"M4 4h7v1h-7z"));
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qr_png_size_and_content),
        cmocka_unit_test(test_qr_png_small_text),
        cmocka_unit_test(test_qr_png_rejects_bad_input),
        cmocka_unit_test(test_qr_svg),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
