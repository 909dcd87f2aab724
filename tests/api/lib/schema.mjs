// A small JSON Schema (2020-12 / OpenAPI 3.1) validator for the subset
// docs/openapi.yaml uses: $ref (local), type (incl. type arrays), properties,
// required, additionalProperties: false, enum, const, pattern, minLength,
// maxLength, minimum, maximum, maxItems, items, allOf. Unknown keywords
// (format, description, examples, default) are ignored, as annotations.
// No npm packages: the API suites run on a bare Node.

const typeOf = (v) => {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    if (Number.isInteger(v)) return 'integer';
    return typeof v; // string, number, boolean, object
};

const typeMatches = (want, v) => {
    const t = typeOf(v);
    return want === t || (want === 'number' && t === 'integer');
};

/**
 * Validate `value` against `schema`; `root` resolves "#/..." refs.
 * Returns a list of "path: problem" strings (empty when valid).
 */
export function validate(schema, value, root, at = '$') {
    const errs = [];
    if (schema === true || schema === undefined) return errs;
    if (schema === false) return [`${at}: no value allowed`];
    if (schema.$ref) {
        const target = schema.$ref.replace(/^#\//, '').split('/')
            .reduce((o, k) => (o ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), root);
        if (!target) return [`${at}: unresolved $ref ${schema.$ref}`];
        errs.push(...validate(target, value, root, at));
    }
    for (const sub of schema.allOf || []) errs.push(...validate(sub, value, root, at));
    if (schema.type !== undefined) {
        const types = Array.isArray(schema.type) ? schema.type : [schema.type];
        if (!types.some((t) => typeMatches(t, value))) {
            errs.push(`${at}: type ${typeOf(value)}, want ${types.join('|')}`);
            return errs;
        }
    }
    if (schema.enum && !schema.enum.some((e) => e === value)) errs.push(`${at}: ${JSON.stringify(value)} not in enum`);
    if ('const' in schema && schema.const !== value) errs.push(`${at}: ${JSON.stringify(value)} != const ${JSON.stringify(schema.const)}`);
    if (typeof value === 'string') {
        if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) errs.push(`${at}: "${value}" does not match ${schema.pattern}`);
        if (schema.minLength !== undefined && [...value].length < schema.minLength) errs.push(`${at}: shorter than ${schema.minLength}`);
        if (schema.maxLength !== undefined && [...value].length > schema.maxLength) errs.push(`${at}: longer than ${schema.maxLength}`);
    }
    if (typeof value === 'number') {
        if (schema.minimum !== undefined && value < schema.minimum) errs.push(`${at}: below ${schema.minimum}`);
        if (schema.maximum !== undefined && value > schema.maximum) errs.push(`${at}: above ${schema.maximum}`);
    }
    if (Array.isArray(value)) {
        if (schema.maxItems !== undefined && value.length > schema.maxItems) errs.push(`${at}: more than ${schema.maxItems} items`);
        if (schema.items) value.forEach((v, i) => errs.push(...validate(schema.items, v, root, `${at}[${i}]`)));
    }
    if (typeOf(value) === 'object') {
        for (const k of schema.required || []) {
            if (!(k in value)) errs.push(`${at}: missing ${k}`);
        }
        const props = schema.properties || {};
        for (const [k, v] of Object.entries(value)) {
            if (props[k]) errs.push(...validate(props[k], v, root, `${at}.${k}`));
            else if (schema.additionalProperties === false) errs.push(`${at}: unexpected property ${k}`);
        }
    }
    return errs;
}

/** Compile the paths of an OpenAPI document into matchers. */
export function operations(doc) {
    return Object.entries(doc.paths || {}).map(([p, item]) => ({
        path: p,
        re: new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
        item,
    }));
}

/**
 * Check one recorded response against the document. Returns problems
 * (strings); [] when it conforms or when the request matched no operation
 * and is not an error.
 */
export function checkResponse(doc, ops, { method, path, status, json }) {
    const where = `${method} ${path} -> ${status}`;
    // A literal segment wins over a template one (/me/sessions/revoke-others
    // over /me/sessions/{id}), as in the server's route table.
    const holes = (o) => (o.path.match(/\{/g) || []).length;
    const matching = ops.filter((o) => o.re.test(path)).sort((a, b) => holes(a) - holes(b));
    const op = matching.find((o) => o.item[method.toLowerCase()]) || matching[0];
    const operation = op && op.item[method.toLowerCase()];
    if (!operation) {
        // Unknown route or method: only the error body can be checked.
        if (status >= 400) {
            // SCIM's paths answer in SCIM's error shape (RFC 7644 3.12).
            const err = path.startsWith('/scim/') ? 'ScimError' : 'Error';
            return validate({ $ref: `#/components/schemas/${err}` }, json, doc).map((e) => `${where}: ${e}`);
        }
        return [`${where}: answered ${status} but documented nowhere`];
    }
    let resp = operation.responses[String(status)] || operation.responses.default;
    if (!resp) return [`${where}: status ${status} is not documented for ${method} ${op.path}`];
    if (resp.$ref) resp = resolveRef(doc, resp.$ref);
    const media = resp.content?.['application/json'] || resp.content?.['application/scim+json'];
    if (!media) {
        return json === null ? [] : [`${where}: documented without a body, got one`];
    }
    if (json === null) return [`${where}: documented with a JSON body, got none`];
    return validate(media.schema, json, doc).map((e) => `${where}: ${e}`);
}

function resolveRef(doc, ref) {
    return ref.replace(/^#\//, '').split('/').reduce((o, k) => (o ? o[k] : undefined), doc);
}
