/*
 * POST/DELETE /me/totp, POST /me/totp/confirm, PATCH /users/{id}.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth/qr.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "identity/identity_http.h"
#include "mfa/mfa.h"
#include "mfa/mfa_http.h"

#define QR_SCALE 6

/* ---- POST /me/totp ---- */

/* "data:image/png;base64,…" of @p png; malloc'd. */
static char *
png_data_uri(const unsigned char *png, size_t len)
{
    static const char prefix[] = "data:image/png;base64,";
    size_t b64 = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(sizeof prefix - 1 + b64);

    if (out == NULL)
        return NULL;
    memcpy(out, prefix, sizeof prefix - 1);
    sodium_bin2base64(out + sizeof prefix - 1, b64, png, len,
                      sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* Wipe (the QR codes hold the secret) and free. */
static void
wipe_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    sodium_memzero(p, len);
    free(p);
}

void
mfa_http_totp_start(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_totp_enrolment e = {0};
    unsigned char *png = NULL;
    size_t png_len = 0;
    char *svg = NULL, *png_uri = NULL;
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_totp_enrol_start(sv_rq_app(rq), sv_rq_session(rq), &actor, &e);
    if (rc == SV_OK)
        rc = sv_qr_png(e.uri, QR_SCALE, &png, &png_len);
    if (rc == SV_OK) {
        svg = sv_qr_svg(e.uri);
        png_uri = png_data_uri(png, png_len);
        if (svg == NULL || png_uri == NULL)
            rc = SV_E_INTERNAL;
    }
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_json(rq, 200,
                      json_pack("{s:s, s:s, s:s, s:s}", "secret", e.secret_b32,
                                "otpauth_uri", e.uri, "qr_svg", svg, "qr_png",
                                png_uri));
    wipe_free(svg, svg ? strlen(svg) : 0);
    wipe_free(png_uri, png_uri ? strlen(png_uri) : 0);
    wipe_free(png, png_len);
    sv_totp_enrolment_fini(&e);
}

/* ---- POST /me/totp/confirm ---- */

void
mfa_http_totp_confirm(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    const char *code = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("code", &code, 1, 32, NULL),
        SV_F_END,
    };
    char codes[SV_RECOVERY_CODES][SV_RECOVERY_CODE_LEN + 1];
    json_t *list;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    rc = sv_totp_enrol_confirm(sv_rq_app(rq), sv_rq_session(rq), &actor, code,
                               codes);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    list = json_array();
    for (int i = 0; i < SV_RECOVERY_CODES; i++)
        json_array_append_new(list, json_string(codes[i]));
    sodium_memzero(codes, sizeof codes);
    sv_reply_json(rq, 200, json_pack("{s:o}", "recovery_codes", list));
}

/* ---- DELETE /me/totp ---- */

void
mfa_http_totp_delete(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    const char *code = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("code", &code, 1, 32, NULL),
        SV_F_END,
    };
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    rc = sv_totp_remove(sv_rq_app(rq), sv_rq_session(rq), &actor, code);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

static void
factors_row(void *cls, const struct sv_user_view *u)
{
    *(json_t **)cls =
        json_pack("{s:b, s:o}", "totp", u->totp, "phone",
                  u->has_phone ? json_string(u->phone_masked) : json_null());
}

void
mfa_http_my_factors(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    json_t *body = NULL;
    enum sv_err rc = sv_user_get(sv_rq_app(rq), s->tenant_id, s->tenant_slug,
                                 s->account_id, factors_row, &body);
    if (rc != SV_OK) {
        json_decref(body);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, body);
}
