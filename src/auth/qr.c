#include "auth/qr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gd.h>
#include <qrencode.h>
#include <sodium.h>

#include "auth/png.h"

#define QUIET_MODULES 4 /* the quiet zone ISO/IEC 18004 asks for */
#define MAX_SCALE 32

/** Encode @p text, or NULL with the reason as an error code in *rc. */
static QRcode *
encode(const char *text, enum sv_err *rc)
{
    QRcode *qr;

    sv_assert(text != NULL);
    errno = 0;
    qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL)
        /* ERANGE: too long for any version; EINVAL: bad input. */
        *rc = errno == ERANGE || errno == EINVAL ? SV_E_FIELD_INVALID
                                                 : SV_E_INTERNAL;
    return qr;
}

static int
is_dark(const QRcode *qr, int x, int y)
{
    return qr->data[y * qr->width + x] & 1;
}

enum sv_err
sv_qr_png(const char *text, int scale, unsigned char **png, size_t *png_len)
{
    QRcode *qr = NULL;
    gdImagePtr im = NULL;
    int side, black;
    enum sv_err rc = SV_E_INTERNAL;

    *png = NULL;
    *png_len = 0;
    if (scale < 1 || scale > MAX_SCALE)
        return SV_E_FIELD_INVALID;
    qr = encode(text, &rc);
    if (qr == NULL)
        goto cleanup;
    rc = SV_E_INTERNAL;
    side = (qr->width + 2 * QUIET_MODULES) * scale;
    im = gdImageCreate(side, side); /* two-colour palette: a small PNG */
    if (im == NULL)
        goto cleanup;
    /* The first colour allocated is the background. */
    (void)gdImageColorAllocate(im, 255, 255, 255);
    black = gdImageColorAllocate(im, 0, 0, 0);
    for (int y = 0; y < qr->width; y++) {
        for (int x = 0; x < qr->width; x++) {
            int px = (x + QUIET_MODULES) * scale;
            int py = (y + QUIET_MODULES) * scale;

            if (is_dark(qr, x, y))
                gdImageFilledRectangle(im, px, py, px + scale - 1,
                                       py + scale - 1, black);
        }
    }
    rc = sv_png_encode(im, png, png_len);
cleanup:
    /* The QR may carry a secret (TOTP enrolment, QR login): leave nothing
     * of it in freed memory. */
    if (im != NULL) {
        for (int y = 0; y < gdImageSY(im); y++)
            sodium_memzero(im->pixels[y], (size_t)gdImageSX(im));
        gdImageDestroy(im);
    }
    if (qr != NULL) {
        sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
        QRcode_free(qr);
    }
    return rc;
}

char *
sv_qr_svg(const char *text)
{
    static const char HEAD[] =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
        "shape-rendering=\"crispEdges\">"
        "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
        "<path fill=\"#000\" d=\"";
    static const char TAIL[] = "\"/></svg>\n";
    /* "M%d %dh%dv1h-%dz" with numbers of at most three digits. */
    enum { RUN_MAX = 1 + 3 + 1 + 3 + 1 + 3 + 2 + 2 + 3 + 1 };
    enum sv_err rc;
    QRcode *qr = encode(text, &rc);
    size_t n_runs = 0, cap, n;
    int side;
    char *svg;

    if (qr == NULL)
        return NULL;
    side = qr->width + 2 * QUIET_MODULES;
    /* Each horizontal run of dark modules becomes one rectangle. */
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (is_dark(qr, x, y) && (x == 0 || !is_dark(qr, x - 1, y)))
                n_runs++;
    cap = sizeof HEAD + 4 * 3 + n_runs * RUN_MAX + sizeof TAIL;
    svg = malloc(cap);
    if (svg == NULL)
        goto cleanup;
    n = (size_t)snprintf(svg, cap, HEAD, side, side, side, side);
    for (int y = 0; y < qr->width; y++) {
        for (int x = 0; x < qr->width;) {
            int run = 0;

            while (x + run < qr->width && is_dark(qr, x + run, y))
                run++;
            if (run == 0) {
                x++;
                continue;
            }
            n += (size_t)snprintf(svg + n, cap - n, "M%d %dh%dv1h-%dz",
                                  x + QUIET_MODULES, y + QUIET_MODULES, run,
                                  run);
            x += run;
        }
    }
    memcpy(svg + n, TAIL, sizeof TAIL);
cleanup:
    sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
    QRcode_free(qr);
    return svg;
}
