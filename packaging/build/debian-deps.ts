/**
 * The Debian packages to carry for `wanted`: each with its Depends and
 * Pre-Depends, taking the first alternative apt knows, leaving out the
 * Essential ones every Debian system has. install.sh installs only those the
 * target lacks, so carrying one too many costs size, never a downgrade.
 */
import { run } from './run.js';

interface Known {
  readonly essential: boolean;
  readonly depends: string[][];
}

function show(pkg: string): Known | undefined {
  let text: string;
  try {
    text = run('apt-cache', ['show', '--no-all-versions', pkg]);
  } catch {
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1] ?? '';
  const depends = [field('Pre-Depends'), field('Depends')]
    .filter(Boolean)
    .flatMap((list) => list.split(','))
    .map((group) => group.split('|').map((alt) => alt.trim().split(/[\s(:]/)[0]!));
  return text.trim() ? { essential: field('Essential') === 'yes', depends } : undefined;
}

export function debianDependencies(wanted: readonly string[]): string[] {
  const chosen = new Set<string>();
  const seen = new Set<string>();
  const visit = (pkg: string): boolean => {
    if (seen.has(pkg)) return true;
    const known = show(pkg);
    if (!known) return false;
    seen.add(pkg);
    if (known.essential) return true;
    chosen.add(pkg);
    for (const group of known.depends) {
      if (!group.some((alt) => visit(alt))) throw new Error(`${pkg} needs one of ${group.join(' | ')}, and apt knows none of them`);
    }
    return true;
  };
  for (const pkg of wanted) if (!visit(pkg)) throw new Error(`apt does not know the package ${pkg}; run apt-get update`);
  return [...chosen].sort();
}
