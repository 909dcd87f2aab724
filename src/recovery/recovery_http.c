/* POST /auth/reset, POST /auth/reset/confirm: see recovery.h. */
#include "recovery/recovery_http.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "identity/identity_http.h"
#include "recovery/recovery.h"

/*
 * AUTH-3, AUTH-4: POST /auth/reset, and a refused reset code, answer no
 * sooner than this after the request arrived, whatever happened inside
 * (unknown tenant or account, nothing to send, a message written). The
 * request waits parked, holding no thread.
 */
#define RESET_FLOOR_MS 300
#define RESET_PARK_KEY "mfa:reset-floor"

static bool
check_channel(const char *s, size_t len)
{
    (void)len;
    return strcmp(s, "sms") == 0 || strcmp(s, "email") == 0;
}

/* ---- POST /auth/reset ---- */

static int64_t
floor_left_ms(int64_t start_ms)
{
    int64_t left = start_ms + RESET_FLOOR_MS - sv_now_ms();
    return left > 0 ? left : 0;
}

static void
reset_accepted(struct sv_request *rq, void *arg)
{
    (void)arg;
    sv_reply_json(rq, 202, json_object());
}

void
recovery_http_request(struct sv_request *rq)
{
    int64_t start = sv_now_ms();
    const char *tenant = NULL, *username = NULL, *channel = NULL;
    const struct sv_field spec[] = {
        /* Shape only: a name that breaks the rules simply is not found. */
        SV_F_STR("tenant", &tenant, 1, 64, NULL),
        SV_F_STR("username", &username, 1, SV_USERNAME_MAX, NULL),
        SV_F_STR("channel", &channel, 3, 5, check_channel),
        SV_F_END,
    };
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    /* Do the work, then answer: the same answer whatever happened. */
    rc = sv_reset_request(sv_rq_app(rq), tenant, username, channel,
                          sv_rq_ip(rq), sv_rq_user_agent(rq));
    if (rc == SV_E_RATE_LIMITED || rc == SV_E_OVERLOADED) {
        /* The source (or this node) is over its limit: nothing was
         * written, whatever the account; the answer does not tell. */
        if (rc == SV_E_RATE_LIMITED)
            sv_rq_add_header(rq, "Retry-After", "60");
        sv_reply_error(rq, rc, NULL);
        return;
    }
    if (rc != SV_OK)
        sv_log(SV_LOG_ERROR, "reset request failed", "%s", sv_err_code(rc));
    sv_park(rq, RESET_PARK_KEY, floor_left_ms(start), reset_accepted, NULL);
}

/* ---- POST /auth/reset/confirm ---- */

struct reset_job {
    struct sv_app *app;
    int64_t start_ms;
    struct sv_reset r;
};

static void
reset_free(void *arg)
{
    sv_reset_free(arg);
}

static void
reset_refused(struct sv_request *rq, void *arg)
{
    (void)arg;
    sv_reply_error(rq, SV_E_RESET_CODE_INVALID, NULL);
}

static void
reset_work(void *arg)
{
    struct reset_job *j = arg;
    sv_reset_work(j->app, &j->r);
}

static void
reset_done(struct sv_request *rq, void *arg)
{
    struct reset_job *j = arg;
    enum sv_err rc = sv_reset_finish(j->app, &j->r);

    if (rc == SV_OK)
        sv_reply_empty(rq, 204);
    else if (rc == SV_E_RESET_CODE_INVALID)
        sv_reply_error(rq, rc, NULL);
    else if (sv_err_status(rc) == 400)
        sv_reply_error(rq, rc, "new_password"); /* a password rule, named */
    else
        sv_reply_error(rq, rc, NULL);
}

void
recovery_http_confirm(struct sv_request *rq)
{
    const char *tenant = NULL, *username = NULL, *code = NULL, *pw = NULL;
    const char *bad;
    const struct sv_field spec[] = {
        SV_F_STR("tenant", &tenant, 1, 64, NULL),
        SV_F_STR("username", &username, 1, SV_USERNAME_MAX, NULL),
        SV_F_STR("code", &code, 1, 32, NULL),
        SV_F_STR("new_password", &pw, 1, SV_PASSWORD_MAX_BYTES, NULL),
        SV_F_END,
    };
    struct reset_job *j;
    enum sv_err rc;

    rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc == SV_OK && strlen(pw) > SV_PASSWORD_MAX_BYTES) {
        rc = SV_E_FIELD_INVALID;
        bad = "new_password";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    j = sv_arena_zalloc(sv_rq_arena(rq), sizeof *j);
    j->app = sv_rq_app(rq);
    j->start_ms = sv_now_ms();
    j->r.app = j->app;
    j->r.tenant_slug = tenant;
    j->r.username = username;
    j->r.code = code;
    j->r.ip = sv_rq_ip(rq);
    j->r.user_agent = sv_rq_user_agent(rq);
    rc = sv_reset_init(&j->r, pw, strlen(pw));
    sv_rq_on_cleanup(rq, reset_free, &j->r);
    if (rc == SV_OK)
        rc = sv_reset_verify(j->app, &j->r);
    if (rc == SV_E_RESET_CODE_INVALID) {
        /* Unknown account and wrong code: one answer, one timing. */
        sv_park(rq, RESET_PARK_KEY, floor_left_ms(j->start_ms), reset_refused,
                NULL);
        return;
    }
    if (rc != SV_OK) {
        if (rc == SV_E_RATE_LIMITED)
            sv_rq_add_header(rq, "Retry-After", "60");
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_offload_or_reply(rq, reset_work, reset_done, j);
}
