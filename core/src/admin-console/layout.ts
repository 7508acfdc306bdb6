/**
 * The frame every console page shares: language, title, navigation, the
 * language switch and sign-out. It loads only the console's own stylesheet
 * and htmx, both from this server (a school may have no internet), under a
 * strict Content-Security-Policy; pages work without JavaScript.
 */
import { html, type Html } from './html.js';
import { LANGUAGES, type Language } from './i18n.js';
import type { CoreWords } from './messages/en.js';

export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface NavLink {
  readonly path: string;
  readonly label: string;
}

export interface Frame {
  readonly language: Language;
  readonly words: CoreWords;
  readonly title: string;
  readonly path: string;
  /** Absent on the sign-in page. */
  readonly account?: string;
  readonly csrf?: string;
  readonly nav?: readonly NavLink[];
}

export function layout(frame: Frame, content: Html): Html {
  const { words } = frame;
  return html`<!DOCTYPE html>
<html lang="${frame.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>
<title>${frame.title} · ${words.consoleName}</title>
<link rel="stylesheet" href="/static/console.css">
<script src="/static/htmx.min.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${words.skipToContent}</a>
<header>
<p class="brand">${words.consoleName}</p>
${frame.nav ? html`<nav aria-label="${words.navigation}"><ul>${frame.nav.map((link) => html`<li><a href="${link.path}"${link.path === frame.path ? html` aria-current="page"` : ''}>${link.label}</a></li>`)}</ul></nav>` : ''}
<div class="tools">
<nav aria-label="${words.languageSwitch}"><ul class="languages">${LANGUAGES.map((language) => html`<li><a href="/lang/${language}?back=${encodeURIComponent(frame.path)}" lang="${language}"${language === frame.language ? html` aria-current="true"` : ''}>${words.languageNames[language]}</a></li>`)}</ul></nav>
${frame.account && frame.csrf ? html`<form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${frame.csrf}"><span>${frame.account}</span> <button type="submit">${words.signOut}</button></form>` : ''}
</div>
</header>
<main id="main">
<h1>${frame.title}</h1>
${content}
</main>
</body>
</html>
`;
}

/** An error as the console shows it: plain words, with the same code the JSON APIs give. */
export function errorNotice(words: CoreWords, error: { code: string; message: string }): Html {
  return html`<div class="notice error" role="alert"><p>${error.message}</p><p class="code">${words.errorCode}: <code>${error.code}</code></p></div>`;
}

/** Why an action was not done, in the page's words (a form sent without its file, say). */
export function refusal(text: string): Html {
  return html`<div class="notice error" role="alert"><p>${text}</p></div>`;
}

/** A short confirmation after an action. */
export function notice(text: string): Html {
  return html`<div class="notice ok" role="status"><p>${text}</p></div>`;
}
