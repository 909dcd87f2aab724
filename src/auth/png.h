/* PNG encoding of a drawn image, shared by the CAPTCHA and the QR codes. */
#ifndef SV_AUTH_PNG_H
#define SV_AUTH_PNG_H

#include <stddef.h>

#include <gd.h>

#include "core/errors.h"

/**
 * The PNG of @p im in malloc'd memory (*png, which the caller frees with
 * free(), and *len). gd's own buffer is wiped before it is freed: an image
 * may carry a secret (a TOTP enrolment, a QR login, a CAPTCHA answer).
 * @return SV_OK; SV_E_INTERNAL when gd cannot encode it or memory runs out.
 */
SV_MUST_CHECK enum sv_err sv_png_encode(gdImagePtr im, unsigned char **png,
                                        size_t *len);

#endif
