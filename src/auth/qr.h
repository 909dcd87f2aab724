/* QR codes (AUTH-8 enrolment, DEV-3 web login) through libqrencode. */
#ifndef SV_AUTH_QR_H
#define SV_AUTH_QR_H

#include <stddef.h>

#include "core/errors.h"

/**
 * PNG of @p text (error correction M, 4-module quiet zone, @p scale pixels
 * per module), drawn with libgd. malloc'd; free with free().
 */
SV_MUST_CHECK enum sv_err sv_qr_png(const char *text, int scale,
                                    unsigned char **png, size_t *png_len);

/** SVG document of @p text (one <path>, crisp edges). malloc'd, or NULL. */
char *sv_qr_svg(const char *text);

#endif
