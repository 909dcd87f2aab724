/* GET and PATCH /admin/settings: see tenant_http.h. */
#include "directory/phone.h"
#include "directory/tenant_http.h"

#include <string.h>

#include <jansson.h>

#include "app.h"
#include "core/json.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "identity/identity_http.h"

static json_t *
settings_json(const struct sv_tenant *t)
{
    struct sv_pw_rule rules[SV_PW_RULES_MAX];
    size_t n = sv_policy_rules(&t->policy, rules);
    json_t *arr = json_array();

    for (size_t i = 0; i < n; i++) {
        json_t *r = json_pack("{s:s}", "rule", rules[i].rule);
        if (rules[i].min >= 0)
            json_object_set_new(r, "min", json_integer(rules[i].min));
        if (rules[i].max >= 0)
            json_object_set_new(r, "max", json_integer(rules[i].max));
        json_array_append_new(arr, r);
    }
    return json_pack("{s:b, s:s, s:i, s:o, s:s, s:b, s:i}", "require_mfa",
                     t->require_mfa, "password_policy",
                     sv_policy_kind_name(t->policy.kind), "password_min_score",
                     t->policy.min_score, "rules", arr, "phone_region",
                     t->phone_region, "mask_phones", t->mask_phones,
                     "phone_reveals_per_day", t->phone_reveals_per_day);
}

static void
reply_settings(struct sv_request *rq, enum sv_err rc, const char *field,
               const struct sv_tenant *t)
{
    if (rc != SV_OK)
        sv_reply_error(rq, rc, field);
    else
        sv_reply_json(rq, 200, settings_json(t));
}

void
tenant_http_settings_get(struct sv_request *rq)
{
    struct sv_tenant t;
    enum sv_err rc =
        sv_tenant_get(sv_rq_app(rq)->db, sv_rq_session(rq)->tenant_id, &t);
    reply_settings(rq, rc, NULL, &t);
}

static bool
check_policy(const char *s, size_t len)
{
    enum sv_pw_policy_kind k;
    (void)len;
    return sv_policy_kind_parse(s, &k);
}

/* DIR-4: a region libphonenumber knows ("CN", "US"). */
static bool
check_region(const char *s, size_t len)
{
    return strlen(s) == len && sv_phone_region_check(s);
}

void
tenant_http_settings_update(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_tenant_policy_change chg = {0};
    const char *policy = NULL, *bad;
    int64_t score = 0, reveals = 0;
    const struct sv_field spec[] = {
        {.name = "require_mfa",
         .type = SV_FT_BOOL,
         .out = &chg.require_mfa,
         .present = &chg.set_require_mfa},
        SV_F_STR_OPT("password_policy", &policy, 1, 16, check_policy),
        SV_F_STR_OPT("phone_region", &chg.phone_region, 2, 2, check_region),
        {.name = "mask_phones",
         .type = SV_FT_BOOL,
         .out = &chg.mask_phones,
         .present = &chg.set_mask_phones},
        {.name = "phone_reveals_per_day",
         .type = SV_FT_INT,
         .out = &reveals,
         .min = 0,
         .max = 10000,
         .present = &chg.set_reveals},
        {.name = "password_min_score",
         .type = SV_FT_INT,
         .out = &score,
         .min = 0,
         .max = 4,
         .present = &chg.set_min_score},
        SV_F_END,
    };
    struct sv_tenant t;
    enum sv_err rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);

    if (rc == SV_OK && !chg.set_require_mfa && policy == NULL &&
        !chg.set_min_score && chg.phone_region == NULL &&
        !chg.set_mask_phones && !chg.set_reveals) {
        rc = SV_E_FIELD_MISSING; /* nothing to change */
        bad = "require_mfa";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    chg.set_kind = policy != NULL && sv_policy_kind_parse(policy, &chg.kind);
    chg.min_score = (int)score;
    chg.phone_reveals_per_day = (int)reveals;
    rc = sv_tenant_policy_update(sv_rq_app(rq)->db, s->tenant_id, &chg, &actor,
                                 &t);
    reply_settings(rq, rc,
                   rc == SV_E_FIELD_INVALID ? "password_min_score" : NULL, &t);
}
