/**
 * Reads an XML-RPC methodCall (http://xmlrpc.com/spec.md) from an untrusted body.
 * Document type declarations are refused before any parsing, so no entity is
 * ever declared, let alone expanded (billion laughs, external entities); the
 * parser is told to leave references alone and only the five predefined entities
 * and character references are decoded here. Every way a body can be wrong
 * throws a `REGISTRY_ERR_XMLRPC_*` error, which the endpoint answers as a fault.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { quote, RegistryErrors } from './errors.js';

/** The value types of the XML-RPC spec (`i8` and `nil` are common extensions). */
const TYPES = ['string', 'int', 'i4', 'i8', 'boolean', 'double', 'base64', 'dateTime.iso8601', 'nil', 'array', 'struct'] as const;
export type XmlRpcType = (typeof TYPES)[number];

/** One parameter as received. */
export interface XmlRpcParam {
  readonly type: XmlRpcType;
  /** The decoded text of a scalar; undefined for `array`, `struct` and `nil`. */
  readonly text: string | undefined;
}

export interface MethodCall {
  readonly methodName: string;
  readonly params: readonly XmlRpcParam[];
}

/** The parser's ordered output: an element is `{ name: children }`, text `{ '#text': s }`, CDATA `{ '#cdata': [text] }`. */
type XmlNode = Readonly<Record<string, unknown>>;

interface Element {
  readonly name: string;
  readonly children: readonly XmlNode[];
}

const TEXT = '#text';
const CDATA = '#cdata';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Values stay text exactly as sent: no number guessing, no trimming.
  parseTagValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: CDATA,
});

/** Everything in a document that starts `<!` except comments and CDATA: DOCTYPE, ENTITY, ELEMENT, ATTLIST. */
const DECLARATION = /<!(?!--|\[CDATA\[)/;
const METHOD_NAME = /^[A-Za-z0-9_.:/]+$/;
const PREDEFINED: ReadonlyMap<string, string> = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);

/** Parse a request body as a methodCall; throws a `REGISTRY_ERR_XMLRPC_*` error when it is not one. */
export function parseMethodCall(body: Buffer): MethodCall {
  const text = decodeBody(body);
  if (DECLARATION.test(text)) throw RegistryErrors.XMLRPC_DTD();
  if (text.trim() === '') throw RegistryErrors.XMLRPC_NOT_XML('the body is empty');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw RegistryErrors.XMLRPC_NOT_XML(`${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  let nodes: XmlNode[];
  try {
    nodes = parser.parse(text) as XmlNode[];
  } catch (err) {
    throw RegistryErrors.XMLRPC_NOT_XML((err as Error).message);
  }

  const roots = childElements({ name: 'document', children: nodes }, 'the document');
  if (roots.length !== 1 || roots[0]!.name !== 'methodCall') throw RegistryErrors.XMLRPC_INVALID('the document must be one <methodCall>');
  const parts = childElements(roots[0]!);
  for (const part of parts) {
    if (part.name !== 'methodName' && part.name !== 'params') throw RegistryErrors.XMLRPC_INVALID(`unexpected <${part.name}> in <methodCall>`);
  }
  const names = parts.filter((part) => part.name === 'methodName');
  const paramLists = parts.filter((part) => part.name === 'params');
  if (names.length !== 1) throw RegistryErrors.XMLRPC_INVALID('<methodCall> must hold one <methodName>');
  if (paramLists.length > 1) throw RegistryErrors.XMLRPC_INVALID('<methodCall> holds more than one <params>');

  const methodName = textContent(names[0]!).trim();
  if (!METHOD_NAME.test(methodName)) throw RegistryErrors.XMLRPC_INVALID(`method name ${quote(methodName)} is not letters, digits, _ . : /`);
  const params = paramLists.length ? childElements(paramLists[0]!).map(readParam) : [];
  return { methodName, params };
}

/**
 * UTF-8 unless the XML declaration names another encoding we can read; line ends
 * normalised as XML 1.0 section 2.11 asks.
 */
function decodeBody(body: Buffer): string {
  const bytes = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
  const head = bytes.subarray(0, 200).toString('latin1');
  const declared = /^<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']/.exec(head)?.[1]?.toLowerCase() ?? 'utf-8';
  let text: string;
  if (declared === 'iso-8859-1' || declared === 'latin1') {
    text = bytes.toString('latin1');
  } else if (declared === 'utf-8' || declared === 'utf8' || declared === 'us-ascii' || declared === 'ascii') {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw RegistryErrors.XMLRPC_BAD_BYTES(declared);
    }
  } else {
    throw RegistryErrors.XMLRPC_ENCODING(declared);
  }
  return text.replace(/\r\n?/g, '\n');
}

function readParam(param: Element): XmlRpcParam {
  if (param.name !== 'param') throw RegistryErrors.XMLRPC_INVALID(`unexpected <${param.name}> in <params>`);
  const values = childElements(param);
  if (values.length !== 1 || values[0]!.name !== 'value') throw RegistryErrors.XMLRPC_INVALID('each <param> must hold one <value>');
  return readValue(values[0]!);
}

/** A `<value>` without a type element is a string (the spec's default). */
function readValue(value: Element): XmlRpcParam {
  const typed = value.children.flatMap((node) => asElement(node) ?? []);
  if (typed.length === 0) return { type: 'string', text: textContent(value) };
  const [element] = childElements(value);
  if (typed.length > 1 || !element) throw RegistryErrors.XMLRPC_INVALID('a <value> holds more than one type');
  const type = TYPES.find((name) => name === element.name);
  if (!type) throw RegistryErrors.XMLRPC_INVALID(`unknown value type <${element.name}>`);
  if (type === 'array' || type === 'struct' || type === 'nil') return { type, text: undefined };
  return { type, text: textContent(element) };
}

function asElement(node: XmlNode): Element | undefined {
  const name = Object.keys(node).find((key) => key !== ':@');
  if (name === undefined || name === TEXT || name === CDATA) return undefined;
  return { name, children: node[name] as XmlNode[] };
}

/** The child elements of `parent`; text between them may only be white space. */
function childElements(parent: Element, where = `<${parent.name}>`): Element[] {
  const elements: Element[] = [];
  for (const node of parent.children) {
    const element = asElement(node);
    if (element) elements.push(element);
    else if (!(TEXT in node) || String(node[TEXT]).trim() !== '') {
      throw RegistryErrors.XMLRPC_INVALID(`${where} holds text where only elements belong`);
    }
  }
  return elements;
}

/** The text of an element that holds only text and CDATA, references decoded. */
function textContent(parent: Element): string {
  let text = '';
  for (const node of parent.children) {
    if (TEXT in node) text += decodeReferences(String(node[TEXT]));
    else if (CDATA in node) text += (node[CDATA] as XmlNode[]).map((part) => String(part[TEXT] ?? '')).join('');
    else throw RegistryErrors.XMLRPC_INVALID(`<${parent.name}> holds an element where only text belongs`);
  }
  return text;
}

/** The five predefined entities and character references; anything else after `&` is an error, never an expansion. */
function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z_][\w.-]*)?(;)?/g, (_match, ref: string | undefined, semicolon: string | undefined) => {
    if (ref === undefined || semicolon === undefined) throw RegistryErrors.XMLRPC_NOT_XML('a bare "&" in text (write &amp;)');
    if (!ref.startsWith('#')) {
      const char = PREDEFINED.get(ref);
      if (char === undefined) throw RegistryErrors.XMLRPC_NOT_XML(`undefined entity ${quote(`&${ref};`)}`);
      return char;
    }
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (!isXmlChar(code)) throw RegistryErrors.XMLRPC_NOT_XML(`character reference ${quote(`&${ref};`)} is not an XML character`);
    return String.fromCodePoint(code);
  });
}

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}
