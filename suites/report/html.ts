/**
 * The shell of every HTML report: self-contained (inline CSS, no scripts or fonts from the
 * network), readable when printed, and consistent across check, EVA, load and the demo index.
 */

export function escapeHtml(s: unknown): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export type Tone = 'pass' | 'fail' | 'skip' | 'error' | 'info' | 'warn';

/** A small coloured label, e.g. PASS / FAIL. */
export function badge(text: string, tone: Tone): string {
  return `<span class="badge ${tone}">${escapeHtml(text)}</span>`;
}

export interface HtmlPage {
  title: string;
  subtitle?: string;
  /** Trusted HTML built with escapeHtml for every value that came from outside. */
  body: string;
  generatedAt?: string;
}

const CSS = `
:root{--pass:#007f3b;--fail:#d5281b;--skip:#768692;--error:#8a1538;--warn:#ffb81c;--info:#005eb8;--ink:#212b32;--muted:#4c6272;--line:#d8dde0;--bg:#f0f4f5}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#005eb8;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.9}
main{max-width:1200px;margin:0 auto;padding:20px 28px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:16px 20px;margin:0 0 18px}
h2{font-size:18px;margin:0 0 10px}h3{font-size:16px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f7f9fa;font-weight:600}tr.fail td:first-child{border-left:4px solid var(--fail)}tr.pass td:first-child{border-left:4px solid var(--pass)}tr.warn td:first-child{border-left:4px solid var(--warn)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:700;color:#fff;letter-spacing:.02em}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.skip{background:var(--skip)}.badge.error{background:var(--error)}.badge.info{background:var(--info)}.badge.warn{background:var(--warn);color:#212b32}
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{flex:1 1 140px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 14px}
.tile .n{font-size:28px;font-weight:700}.tile .l{color:var(--muted);font-size:13px}.tile.fail .n{color:var(--fail)}.tile.pass .n{color:var(--pass)}
details{margin:6px 0}summary{cursor:pointer;color:var(--info)}pre,code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f7f9fa;border:1px solid var(--line);padding:8px 10px;overflow:auto;max-height:420px;white-space:pre-wrap;word-break:break-word}
.muted{color:var(--muted)}.hint{background:#fff9e6;border-left:4px solid var(--warn);padding:6px 10px;margin:6px 0}
.side{display:grid;grid-template-columns:1fr 1fr;gap:10px}.side pre.exp{border-left:4px solid var(--pass)}.side pre.act{border-left:4px solid var(--fail)}
footer{color:var(--muted);font-size:12px;text-align:center;padding:16px}
@media print{body{background:#fff}header{background:#fff;color:#000;border-bottom:2px solid #000}section{break-inside:avoid}}
`;

export function renderHtmlPage(page: HtmlPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(page.title)}</h1>${page.subtitle ? `<p>${escapeHtml(page.subtitle)}</p>` : ''}</header>
<main>
${page.body}
</main>
<footer>pca-harness${page.generatedAt ? ` &middot; generated ${escapeHtml(page.generatedAt)}` : ''} &middot; NHS numbers masked, tokens omitted</footer>
</body>
</html>
`;
}

/** Summary tiles: `[{ label: 'passed', value: 41, tone: 'pass' }, ...]`. */
export function tiles(items: Array<{ label: string; value: string | number; tone?: Tone }>): string {
  return `<div class="tiles">${items.map((t) => `<div class="tile ${t.tone ?? ''}"><div class="n">${escapeHtml(t.value)}</div><div class="l">${escapeHtml(t.label)}</div></div>`).join('')}</div>`;
}
