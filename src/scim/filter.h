/*
 * SCIM filters (RFC 7644, section 3.4.2.2), the part provisioning clients
 * send: one comparison `attrPath SP "eq" SP compValue`, the attribute
 * named with or without its schema URN, case-insensitively, the operator
 * case-insensitively; compValue a JSON string, true or false. Anything
 * else ("co", "and", groupings, numbers) is refused: the list answers
 * 400 with scimType invalidFilter rather than filtering wrongly.
 */
#ifndef SV_SCIM_FILTER_H
#define SV_SCIM_FILTER_H

#include <stdbool.h>
#include <stddef.h>

/** A filter's text at most (bytes). */
#define SCIM_FILTER_MAX 512
/** An attribute path at most (without its schema URN). */
#define SCIM_ATTR_MAX 64
/** A string value at most (bytes of UTF-8, after unescaping). */
#define SCIM_VALUE_MAX 256

struct scim_filter {
    char attr[SCIM_ATTR_MAX + 1]; /* as written, URN removed ("userName") */
    bool is_bool;
    bool bool_value;
    char value[SCIM_VALUE_MAX + 1]; /* a string value, unescaped */
};

/**
 * Parse @p text (NUL-terminated) into @p out. @p urn, when not NULL, is the
 * core schema an attribute may be prefixed with ("urn:...:User").
 * @return true when @p text is one supported comparison.
 */
bool scim_filter_parse(const char *text, const char *urn,
                       struct scim_filter *out);

/** Whether @p f's attribute is @p name (case-insensitive, as SCIM wants). */
bool scim_filter_is(const struct scim_filter *f, const char *name);

#endif
