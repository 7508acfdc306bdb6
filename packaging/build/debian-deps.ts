/**
 * The Debian packages to carry for `wanted`: each with its Depends and
 * Pre-Depends, taking the first alternative apt knows, leaving out the
 * Essential ones every Debian system has. install.sh installs only those the
 * target lacks, so carrying one too many costs size, never a downgrade.
 */
import { spawnSync } from 'node:child_process';

interface Known {
  readonly essential: boolean;
  readonly depends: string[][];
}

/** What apt knows of each of `packages`, in one apt-cache call; unknown names are absent. */
function show(packages: readonly string[]): Map<string, Known> {
  // apt-cache exits 100 when a name is unknown but still prints the others.
  const { stdout } = spawnSync('apt-cache', ['show', '--no-all-versions', ...packages], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const known = new Map<string, Known>();
  for (const paragraph of stdout.split(/\n\n+/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(paragraph)?.[1] ?? '';
    const name = field('Package');
    if (!name || known.has(name)) continue;
    const depends = [field('Pre-Depends'), field('Depends')]
      .filter(Boolean)
      .flatMap((list) => list.split(','))
      .map((group) => group.split('|').map((alt) => alt.trim().split(/[\s(:]/)[0]!));
    known.set(name, { essential: field('Essential') === 'yes', depends });
  }
  return known;
}

export function debianDependencies(wanted: readonly string[]): string[] {
  const known = new Map<string, Known>();
  const chosen = new Set<string>();
  let frontier = [...wanted];
  while (frontier.length) {
    // Every alternative of the frontier is looked up at once; the first one apt knows is taken.
    const unseen = [...new Set(frontier)].filter((p) => !known.has(p));
    for (const [name, info] of show(unseen)) known.set(name, info);
    const next: string[][] = [];
    for (const pkg of frontier) {
      const info = known.get(pkg);
      if (!info) throw new Error(`apt does not know the package ${pkg}; run apt-get update`);
      if (info.essential || chosen.has(pkg)) continue;
      chosen.add(pkg);
      next.push(...info.depends);
    }
    const lookups = [...new Set(next.flat())].filter((p) => !known.has(p));
    for (const [name, info] of show(lookups)) known.set(name, info);
    frontier = next.map((group) => {
      const pick = group.find((alt) => known.has(alt));
      if (!pick) throw new Error(`one of ${group.join(' | ')} is needed, and apt knows none of them`);
      return pick;
    });
  }
  return [...chosen].sort();
}
