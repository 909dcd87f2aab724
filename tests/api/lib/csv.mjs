// RFC 4180 CSV as GET /audit/export writes it: every field quoted, CRLF
// line ends. Shared by the API and browser suites that compare an export
// with the API's list.
import assert from 'node:assert/strict';

/** RFC 4180, every field quoted (as the server writes it): rows of strings. */
export function parseCsv(text) {
    const rows = [];
    let i = 0;
    while (i < text.length) {
        const row = [];
        for (;;) {
            assert.equal(text[i], '"', `field at ${i} is quoted`);
            let v = '';
            i++;
            for (;;) {
                const q = text.indexOf('"', i);
                assert.ok(q >= 0, 'closing quote');
                v += text.slice(i, q);
                if (text[q + 1] === '"') { v += '"'; i = q + 2; continue; }
                i = q + 1;
                break;
            }
            row.push(v);
            if (text[i] === ',') { i++; continue; }
            assert.equal(text.slice(i, i + 2), '\r\n', `row ends with CRLF at ${i}`);
            i += 2;
            break;
        }
        rows.push(row);
    }
    return rows;
}
