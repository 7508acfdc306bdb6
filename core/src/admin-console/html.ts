/**
 * Typed HTML for the console's pages: `html` is a tagged template whose
 * values are escaped (by ghtml) unless they are themselves `Html`, so nesting
 * is safe and forgetting to escape is impossible. Arrays are joined.
 */
import { html as escapingTag } from 'ghtml';

const brand = Symbol.for('sugar-server.html');

/** Markup that is already safe: made by {@link html}. */
export class Html {
  readonly [brand] = true;
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** What a template takes: text (escaped), numbers, Html (kept), lists of these; null, undefined and false print nothing. */
export type HtmlValue = string | number | Html | null | undefined | false | readonly HtmlValue[];

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1]!;
  return new Html(text);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (isHtml(value)) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapingTag`${String(value)}`;
}
