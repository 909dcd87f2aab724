/* Fuzz: salesvault.conf through inih and the range checks. */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sv_config c;
    char err[256];
    char *text;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    sv_config_defaults(&c, "/data");
    if (sv_config_parse(&c, text, err, sizeof err) != SV_OK)
        (void)strlen(err);
    free(text);
    return 0;
}
