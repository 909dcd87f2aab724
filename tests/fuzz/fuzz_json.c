/* Fuzz: request bodies through the strict JSON loader and a field spec. */
#include <string.h>

#include "core/json.h"
#include "fuzz.h"

static bool
any(const char *s, size_t len)
{
    return len > 0 && s[0] != '!';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *a = NULL, *b = NULL, *bad = NULL;
    bool flag = false;
    int64_t n = 0;
    const struct sv_field spec[] = {
        SV_F_STR("tenant", &a, 1, 64, NULL),
        SV_F_STR_OPT("password", &b, 1, 1024, any),
        {.name = "flag", .type = SV_FT_BOOL, .out = &flag},
        {.name = "n", .type = SV_FT_INT, .out = &n, .min = -5, .max = 5},
        SV_F_END,
    };
    json_t *root = NULL;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    if (sv_json_load_object((const char *)data, size, &root) == SV_OK) {
        if (sv_json_spec_parse(root, spec, &bad) == SV_OK && a != NULL)
            (void)strlen(a);
        json_decref(root);
    }
    return 0;
}
