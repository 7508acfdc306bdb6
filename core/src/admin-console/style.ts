/** The admin console's stylesheet: readable on a phone first, then wider; colours keep WCAG AA contrast. */
export const CONSOLE_CSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1d1d1d;background:#f6f5f1}
a{color:#0b57a4}
a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #e0a030;outline-offset:2px}
.skip{position:absolute;left:-999em}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip:focus{left:1em;top:1em;background:#fff;padding:.5em;z-index:1}
header{background:#23395b;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;gap:.5em 1.5em;align-items:center}
header a{color:#fff}
header .brand{font-weight:bold;margin:0}
header ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25em 1em}
header [aria-current]{font-weight:bold;text-decoration:underline 3px}
header .tools{margin-left:auto;display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:center}
header .logout{display:flex;gap:.5em;align-items:center;margin:0}
main{max-width:72em;margin:0 auto;padding:1em}
h1{font-size:1.5em;margin:.3em 0 .6em}
h2{font-size:1.2em;margin:1.5em 0 .5em}
section{background:#fff;border:1px solid #d8d4c8;border-radius:.5em;padding:.5em 1em 1em;margin-bottom:1em}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #e3e0d6;vertical-align:top;overflow-wrap:anywhere}
th{background:#efede6}
button,.button{font:inherit;padding:.35em .9em;border-radius:.3em;border:1px solid #23395b;background:#23395b;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#23395b}
button.danger{background:#a61b1b;border-color:#a61b1b}
input,select,textarea{font:inherit;padding:.3em .4em;border:1px solid #6b6b6b;border-radius:.3em;max-width:100%}
label{display:block;font-weight:600;margin:.5em 0 .2em}
label.inline-label{display:inline;font-weight:normal}
ul.versions{list-style:none;margin:0;padding:0}
form.inline{display:inline}
form.row{display:flex;flex-wrap:wrap;gap:.5em;align-items:end}
.state-running{color:#17692c;font-weight:bold}
.state-failed,.state-blocked{color:#a61b1b;font-weight:bold}
.state-off,.state-stopped{color:#5a5a5a}
.notice{border-radius:.4em;padding:.25em 1em;margin:0 0 1em}
.notice.error{background:#fbe9e9;border:2px solid #a61b1b}
.notice.ok{background:#e8f5ea;border:2px solid #17692c}
.code,.muted{color:#4d4d4d;font-size:.9em}
.figures{display:flex;flex-wrap:wrap;gap:1em;list-style:none;padding:0}
.figures li{background:#efede6;border-radius:.4em;padding:.4em .8em}
.figures strong{display:block;font-size:1.4em}
svg.chart{max-width:100%;height:auto}
svg.chart text{font:12px system-ui,sans-serif;fill:#1d1d1d}
svg.chart rect.bar{fill:#23395b}
pre.problems{white-space:pre-wrap;background:#fbe9e9;padding:.5em}
.login{max-width:24em;margin:2em auto}
@media (max-width:40em){th,td{padding:.3em}header .tools{margin-left:0}}
`;
