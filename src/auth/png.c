#include "auth/png.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

enum sv_err
sv_png_encode(gdImagePtr im, unsigned char **png, size_t *len)
{
    int size = 0;
    void *gd_png = gdImagePngPtr(im, &size);
    enum sv_err rc = SV_E_INTERNAL;

    *png = NULL;
    if (gd_png == NULL || size <= 0)
        goto cleanup;
    /* gd's buffer is freed with gdFree; the contract promises free(). */
    *png = malloc((size_t)size);
    if (*png == NULL)
        goto cleanup;
    memcpy(*png, gd_png, (size_t)size);
    *len = (size_t)size;
    rc = SV_OK;
cleanup:
    if (gd_png != NULL) {
        sodium_memzero(gd_png, size > 0 ? (size_t)size : 0);
        gdFree(gd_png);
    }
    return rc;
}
