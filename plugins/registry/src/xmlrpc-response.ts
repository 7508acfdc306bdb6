/**
 * XML-RPC answers, laid out exactly as Python's xmlrpc.client marshals them (the
 * old idmgr was a Python XML-RPC server, and Sugar reads the answer with
 * xmlrpc.client), with every text escaped and any character XML cannot carry
 * replaced, so a parser on the laptop never chokes on what we echo.
 */

/** Fault codes of the interoperability convention (http://xmlrpc-epi.sourceforge.net/specs/rfc.fault_codes.php). */
export const FaultCodes = {
  NOT_WELL_FORMED: -32700,
  UNSUPPORTED_ENCODING: -32701,
  INVALID_CHARACTER: -32702,
  INVALID_XMLRPC: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  APPLICATION_ERROR: -32500,
} as const;

/** A successful answer holding one struct of strings. */
export function structResponse(struct: Readonly<Record<string, string>>): string {
  return envelope(`<params>\n<param>\n${structValue(struct)}\n</param>\n</params>`);
}

export function faultResponse(faultCode: number, faultString: string): string {
  const members =
    `<member>\n<name>faultCode</name>\n<value><int>${Math.trunc(faultCode)}</int></value>\n</member>\n` +
    `<member>\n<name>faultString</name>\n<value><string>${escapeText(faultString)}</string></value>\n</member>\n`;
  return envelope(`<fault>\n<value><struct>\n${members}</struct></value>\n</fault>`);
}

/** Escape for element content: `&`, `<`, `>`, and characters XML 1.0 cannot hold become U+FFFD. */
export function escapeText(text: string): string {
  return text
    .replace(/[^\t\n\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function structValue(struct: Readonly<Record<string, string>>): string {
  const members = Object.entries(struct)
    .map(([name, value]) => `<member>\n<name>${escapeText(name)}</name>\n<value><string>${escapeText(value)}</string></value>\n</member>\n`)
    .join('');
  return `<value><struct>\n${members}</struct></value>`;
}

function envelope(inner: string): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n${inner}\n</methodResponse>\n`;
}
