/*
 * GET / and /static/NAME: the web console, embedded in the binary. The
 * page gets a strict Content-Security-Policy: scripts and styles from this
 * origin only, no inline code, images from here or blob:/data: (CAPTCHA
 * and QR), no framing.
 */
#include <string.h>

#include "http/request.h"
#include "http/static.h"

static const char page_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

void
http_static(struct sv_request *rq)
{
    for (unsigned i = 0; i < sv_static_files_len; i++) {
        const struct sv_static_file *f = &sv_static_files[i];
        if (strcmp(f->url, rq->url) != 0)
            continue;
        const char *inm = sv_rq_header(rq, "If-None-Match");
        rq->csp = page_csp;
        sv_rq_add_header(rq, "ETag", f->etag);
        if (inm != NULL && strcmp(inm, f->etag) == 0)
            sv_reply_empty(rq, 304);
        else
            sv_reply_bytes(rq, 200, f->type, f->data, f->len, true);
        return;
    }
    sv_reply_error(rq, SV_E_NOT_FOUND, NULL);
}
