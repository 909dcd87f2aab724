/* SCIM filters: see filter.h. */
#include "scim/filter.h"

#include <string.h>
#include <strings.h>

#include "core/util.h"

static const char *
skip_spaces(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA;
 * a sub-attribute after one ".". */
static bool
attr_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return !first && ((c >= '0' && c <= '9') || c == '-' || c == '_');
}

static const char *
parse_attr(const char *p, const char *urn, char *out)
{
    size_t n = 0;
    bool first = true;

    /* The schema URN, then ":" (the URN itself holds colons). */
    if (urn != NULL && strncasecmp(p, urn, strlen(urn)) == 0 &&
        p[strlen(urn)] == ':')
        p += strlen(urn) + 1;
    for (; *p != '\0' && *p != ' '; p++) {
        if (*p == '.' && !first) {
            first = true;
        } else if (attr_char(*p, first)) {
            first = false;
        } else {
            return NULL;
        }
        if (n == SCIM_ATTR_MAX)
            return NULL;
        out[n++] = *p;
    }
    out[n] = '\0';
    return n > 0 && !first ? p : NULL;
}

static int
hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Put code point @p cp as UTF-8 at @p out[*n]. */
static bool
put_utf8(char *out, size_t *n, unsigned long cp)
{
    char buf[4];
    size_t k;

    if (cp < 0x80) {
        buf[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xc0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3f));
        k = 2;
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xe0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (cp & 0x3f));
        k = 3;
    } else {
        buf[0] = (char)(0xf0 | (cp >> 18));
        buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[3] = (char)(0x80 | (cp & 0x3f));
        k = 4;
    }
    if (*n + k > SCIM_VALUE_MAX)
        return false;
    memcpy(out + *n, buf, k);
    *n += k;
    return true;
}

static const char *
parse_u4(const char *p, unsigned long *out)
{
    *out = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex(p[i]);
        if (h < 0)
            return NULL;
        *out = *out * 16 + (unsigned long)h;
    }
    return p + 4;
}

/* A JSON string (RFC 8259), unescaped into @p out. */
static const char *
parse_string(const char *p, char *out)
{
    size_t n = 0;

    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\0' || c < 0x20)
            return NULL;
        if (c != '\\') {
            if (n == SCIM_VALUE_MAX)
                return NULL;
            out[n++] = *p++;
            continue;
        }
        p++;
        unsigned long cp;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
            cp = (unsigned char)*p++;
            break;
        case 'b':
            cp = '\b';
            p++;
            break;
        case 'f':
            cp = '\f';
            p++;
            break;
        case 'n':
            cp = '\n';
            p++;
            break;
        case 'r':
            cp = '\r';
            p++;
            break;
        case 't':
            cp = '\t';
            p++;
            break;
        case 'u':
            if ((p = parse_u4(p + 1, &cp)) == NULL)
                return NULL;
            if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair */
                unsigned long lo;
                if (p[0] != '\\' || p[1] != 'u' ||
                    (p = parse_u4(p + 2, &lo)) == NULL || lo < 0xdc00 ||
                    lo > 0xdfff)
                    return NULL;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return NULL;
            }
            if (cp == 0)
                return NULL; /* no NUL in a value */
            break;
        default:
            return NULL;
        }
        if (!put_utf8(out, &n, cp))
            return NULL;
    }
    out[n] = '\0';
    return sv_utf8_valid(out, n) ? p + 1 : NULL;
}

bool
scim_filter_parse(const char *text, const char *urn, struct scim_filter *out)
{
    const char *p;

    memset(out, 0, sizeof *out);
    if (text == NULL || strlen(text) > SCIM_FILTER_MAX)
        return false;
    p = skip_spaces(text);
    if ((p = parse_attr(p, urn, out->attr)) == NULL || *p != ' ')
        return false;
    p = skip_spaces(p);
    if (strncasecmp(p, "eq", 2) != 0 || p[2] != ' ')
        return false;
    p = skip_spaces(p + 3);
    if (*p == '"') {
        p = parse_string(p, out->value);
    } else if (strncasecmp(p, "true", 4) == 0) {
        out->is_bool = out->bool_value = true;
        p += 4;
    } else if (strncasecmp(p, "false", 5) == 0) {
        out->is_bool = true;
        p += 5;
    } else {
        return false;
    }
    return p != NULL && *skip_spaces(p) == '\0';
}

bool
scim_filter_is(const struct scim_filter *f, const char *name)
{
    return strcasecmp(f->attr, name) == 0;
}
