/** The README's generated sections: what they must contain, and how to rewrite them. */
import { renderCatalogueMarkdown } from '../suites/checks/catalogue';

export function renderReadmeSections(): Record<string, string> {
  return { catalogue: renderCatalogueMarkdown().trim() };
}

export function sectionOf(text: string, name: string): string | undefined {
  const m = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(text);
  return m?.[1]?.trim();
}

export function replaceSection(text: string, name: string, body: string): string {
  const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!re.test(text)) throw new Error(`README has no <!-- ${name}:start --> ... <!-- ${name}:end --> markers`);
  return text.replace(re, `$1${body}\n$2`);
}
