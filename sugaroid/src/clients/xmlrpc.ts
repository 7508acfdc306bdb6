/**
 * XML-RPC as Sugar speaks it: the call is laid out byte for byte as Python's
 * xmlrpc.client marshals string parameters, and the answer may be a string, a
 * struct of scalars, or a fault. That is all registration needs, so the reader
 * below takes exactly that subset of XML (no DTD, no attributes) and says what is
 * wrong with anything else.
 */
import { SugaroidErrors } from '../errors.js';
import { requestText, serverErrorDetail, type RequestOptions } from './http.js';

/** A struct of scalars; numbers and booleans keep their text. */
export type XmlRpcStruct = Readonly<Record<string, string>>;

/** What an XML-RPC server answered. */
export type XmlRpcAnswer =
  | { readonly kind: 'value'; readonly value: string | XmlRpcStruct }
  | { readonly kind: 'fault'; readonly faultCode: number; readonly faultString: string };

/** The body Python's xmlrpc.client sends for `server.<method>(*params)` with string params. */
export function methodCallXml(method: string, params: readonly string[]): string {
  const values = params.map((param) => `<param>\n<value><string>${escapeXml(param)}</string></value>\n</param>\n`).join('');
  return `<?xml version='1.0'?>\n<methodCall>\n<methodName>${escapeXml(method)}</methodName>\n<params>\n${values}</params>\n</methodCall>\n`;
}

/** Call `method` at `url` (POST, `Content-Type: text/xml`) and read the answer. */
export async function callXmlRpc(url: URL, method: string, params: readonly string[], options: RequestOptions = {}): Promise<XmlRpcAnswer> {
  const answer = await requestText(url, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', 'user-agent': 'sugaroid' },
    body: methodCallXml(method, params),
  }, options);
  if (answer.status !== 200) throw SugaroidErrors.HTTP('POST', url.href, answer.status, serverErrorDetail(answer.body));
  try {
    return readMethodResponse(answer.body);
  } catch (err) {
    throw SugaroidErrors.BAD_ANSWER(url.href, (err as Error).message);
  }
}

/** Read a methodResponse; throws an Error saying what is wrong with it. */
export function readMethodResponse(xml: string): XmlRpcAnswer {
  const root = readXml(xml);
  if (root.name !== 'methodResponse') throw new Error(`the root element is <${root.name}>, not <methodResponse>`);
  const [part, ...extra] = elements(root);
  if (!part || extra.length) throw new Error('<methodResponse> must hold one <params> or <fault>');
  if (part.name === 'fault') {
    const fault = readValue(only(part, 'value'));
    if (typeof fault !== 'object' || fault.faultCode === undefined || fault.faultString === undefined) {
      throw new Error('a fault must be a struct with faultCode and faultString');
    }
    const faultCode = Number(fault.faultCode);
    if (!Number.isInteger(faultCode)) throw new Error(`faultCode ${JSON.stringify(fault.faultCode)} is not an integer`);
    return { kind: 'fault', faultCode, faultString: fault.faultString };
  }
  if (part.name !== 'params') throw new Error(`unexpected <${part.name}> in <methodResponse>`);
  return { kind: 'value', value: readValue(only(only(part, 'param'), 'value')) };
}

interface XmlElement {
  readonly name: string;
  readonly children: (XmlElement | string)[];
}

const SCALARS = new Set(['string', 'int', 'i4', 'i8', 'boolean', 'double', 'dateTime.iso8601', 'base64']);

function readValue(value: XmlElement): string | XmlRpcStruct {
  if (value.children.every((child) => typeof child === 'string')) return text(value);
  const typed = elements(value);
  const [type] = typed;
  if (typed.length > 1 || !type) throw new Error('a <value> holds more than one type');
  if (SCALARS.has(type.name)) return text(type);
  if (type.name !== 'struct') throw new Error(`values of type <${type.name}> are not read here`);
  const struct: Record<string, string> = Object.create(null);
  for (const member of elements(type)) {
    if (member.name !== 'member') throw new Error(`unexpected <${member.name}> in <struct>`);
    const memberValue = readValue(only(member, 'value'));
    if (typeof memberValue !== 'string') throw new Error('nested structs are not read here');
    struct[text(only(member, 'name'))] = memberValue;
  }
  return struct;
}

/** The one child element called `name`; its siblings of other names are read on their own. */
function only(parent: XmlElement, name: string): XmlElement {
  const children = elements(parent).filter((child) => child.name === name);
  if (children.length !== 1) throw new Error(`<${parent.name}> must hold one <${name}>`);
  return children[0]!;
}

/** Child elements; text between them may only be white space. */
function elements(parent: XmlElement): XmlElement[] {
  const found: XmlElement[] = [];
  for (const child of parent.children) {
    if (typeof child !== 'string') found.push(child);
    else if (child.trim() !== '') throw new Error(`<${parent.name}> holds text where elements belong`);
  }
  return found;
}

function text(element: XmlElement): string {
  return element.children.map((child) => {
    if (typeof child !== 'string') throw new Error(`<${element.name}> holds <${child.name}> where text belongs`);
    return child;
  }).join('');
}

/** One token of the subset: declaration or comment, CDATA, close tag, open tag, text; a lone `<` is anything else. */
const TOKEN = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)\s*(\/?)>|([^<]+)|</y;

function readXml(xml: string): XmlElement {
  const document: XmlElement = { name: 'document', children: [] };
  const open: XmlElement[] = [document];
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(xml); match; match = TOKEN.exec(xml)) {
    const [token, cdata, closing, opening, selfClosing, chars] = match;
    const current = open[open.length - 1]!;
    if (cdata !== undefined) current.children.push(cdata);
    else if (chars !== undefined) current.children.push(decodeEntities(chars));
    else if (closing !== undefined) {
      if (closing !== current.name || open.length === 1) throw new Error(`</${closing}> closes <${current.name}>`);
      open.pop();
    } else if (opening !== undefined) {
      const element: XmlElement = { name: opening, children: [] };
      current.children.push(element);
      if (!selfClosing) open.push(element);
    } else if (token === '<') {
      throw new Error(`markup this reader does not take at offset ${match.index} (a DTD or attributes)`);
    }
  }
  if (open.length !== 1) throw new Error(`<${open[open.length - 1]!.name}> is not closed`);
  const roots = elements(document);
  if (roots.length !== 1) throw new Error(roots.length ? 'more than one root element' : 'no XML in the answer');
  return roots[0]!;
}

const ENTITIES: ReadonlyMap<string, string> = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);

function decodeEntities(chars: string): string {
  return chars.replace(/&(#x[0-9A-Fa-f]+|#\d+|\w+)?;?/g, (match, ref: string | undefined) => {
    if (!ref || !match.endsWith(';')) throw new Error('a bare "&" in text');
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const char = ENTITIES.get(ref);
    if (char === undefined) throw new Error(`undefined entity &${ref};`);
    return char;
  });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
