/*
 * GET / and /static/NAME: the web console, embedded in the binary. The
 * page gets a strict Content-Security-Policy: scripts and styles from this
 * origin only, no inline code, images from here or blob:/data: (CAPTCHA
 * and QR), no framing. Browsers keep the files but ask again each time
 * (ETag, 304); those that accept gzip get the compressed variant.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "http/request.h"
#include "http/static.h"

static const char page_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

/*
 * Whether Accept-Encoding @p ae admits gzip: a "gzip" (or "*") coding whose
 * q is not zero (RFC 9110 §12.5.3). Anything unparsable counts as no.
 */
bool
sv_accepts_gzip(const char *ae)
{
    bool star = false;

    while (ae != NULL && *ae != '\0') {
        const char *end = strchr(ae, ',');
        size_t n = end ? (size_t)(end - ae) : strlen(ae);
        const char *p = ae, *stop = ae + n;
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        const char *name = p;
        while (p < stop && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t len = (size_t)(p - name);
        bool zero = false;
        const char *q = memchr(p, ';', (size_t)(stop - p));
        if (q != NULL) {
            q++;
            while (q < stop && (*q == ' ' || *q == '\t'))
                q++;
            if (stop - q >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
                /* q=0, q=0.0, q=0.00, q=0.000 */
                const char *d = q + 2;
                zero = d < stop && *d == '0';
                for (d++; zero && d < stop && *d != ' ' && *d != '\t'; d++)
                    zero = *d == '.' || *d == '0';
            }
        }
        if (len == 4 && strncasecmp(name, "gzip", 4) == 0)
            return !zero;
        if (len == 1 && *name == '*')
            star = !zero;
        ae = end ? end + 1 : NULL;
    }
    return star;
}

void
http_static(struct sv_request *rq)
{
    for (unsigned i = 0; i < sv_static_files_len; i++) {
        const struct sv_static_file *f = &sv_static_files[i];
        if (strcmp(f->url, rq->url) != 0)
            continue;
        bool gz = f->gz != NULL &&
                  sv_accepts_gzip(sv_rq_header(rq, "Accept-Encoding"));
        const char *etag = gz ? f->gz_etag : f->etag;
        const char *inm = sv_rq_header(rq, "If-None-Match");
        rq->csp = page_csp;
        rq->cache = "no-cache";
        sv_rq_add_header(rq, "ETag", etag);
        if (f->gz != NULL)
            sv_rq_add_header(rq, "Vary", "Accept-Encoding");
        if (inm != NULL && strcmp(inm, etag) == 0) {
            sv_reply_empty(rq, 304);
        } else if (gz) {
            sv_rq_add_header(rq, "Content-Encoding", "gzip");
            sv_reply_bytes(rq, 200, f->type, f->gz, f->gz_len, true);
        } else {
            sv_reply_bytes(rq, 200, f->type, f->data, f->len, true);
        }
        return;
    }
    sv_reply_error(rq, SV_E_NOT_FOUND, NULL);
}
