import { describe, expect, it } from 'vitest';
import { html } from './html.js';

describe('html', () => {
  it('escapes every value that is not itself html, in text and attributes', () => {
    const nick = `<img src=x onerror="alert('x')">`;
    expect(html`<td title="${nick}">${nick}</td>`.text).toBe('<td title="&#60;img src&#61;x onerror&#61;&#34;alert(&#39;x&#39;)&#34;&#62;">&#60;img src&#61;x onerror&#61;&#34;alert(&#39;x&#39;)&#34;&#62;</td>');
  });

  it('keeps nested html as it is, joins lists, and prints nothing for null, undefined and false', () => {
    const rows = ['a&b', 'c'].map((cell) => html`<li>${cell}</li>`);
    expect(html`<ul>${rows}${null}${undefined}${false}${0}</ul>`.text).toBe('<ul><li>a&#38;b</li><li>c</li>0</ul>');
  });
});
