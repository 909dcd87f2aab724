/* The web console's files, embedded at build time (scripts/embed_static.py). */
#ifndef SV_HTTP_STATIC_H
#define SV_HTTP_STATIC_H

#include <stddef.h>

struct sv_static_file {
    const char *url;  /* "/" or "/static/NAME" */
    const char *type; /* Content-Type */
    const char *etag;
    const unsigned char *data;
    size_t len;
    /* the same bytes gzip-compressed, or NULL when that is not smaller */
    const char *gz_etag;
    const unsigned char *gz;
    size_t gz_len;
};

extern const struct sv_static_file sv_static_files[];
extern const unsigned sv_static_files_len;

#endif
