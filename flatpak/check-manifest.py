#!/usr/bin/python3
# Checks the Flatpak manifest against the project's own requirements, without the SDK.
#
# Usage: check-manifest.py FLATPAK_BUILDER MANIFEST SOURCE_ROOT
#
# Runs `flatpak-builder --show-manifest` (with G_DEBUG=fatal-warnings, so that an unknown key
# or source type fails too), then checks the expanded manifest and prints TAP:
#   - the runtime is org.gnome.Platform//RUNTIME_VERSION with its SDK;
#   - locales stay in the app (a single-file bundle has no .Locale extension);
#   - the sandbox is the narrow set below, network included (the acquirer);
#   - every module names its build system; every remote source is pinned (sha256 or commit)
#     and carries update-checker data; only the project's module builds from a local folder,
#     with meson and the kiosk's options;
#   - every dependency() of the project is provided by the runtime (the manifest's
#     x-runtime-components table, each figure with its source) or by a module (x-provides),
#     at a version >= the project's minimum; the SDK's meson >= the project's meson_version;
#   - the version macros in the root meson.build equal the dependency() minimums (so building
#     against the runtime's newer headers with --werror keeps them honest) and are <= the
#     runtime's versions.
# Exit status 0 when all pass, 1 otherwise, 77 (skip) is left to the caller when
# flatpak-builder is missing.

import json
import os
import re
import subprocess
import sys

# GNOME releases every six months (March: x.0, September: x+1.0) and Flathub keeps a runtime
# updated for about a year. GNOME 51 came out in September 2026 (gnome-build-meta had 51.beta
# on 2026-08-14 and the branch gnome-51); it is maintained until about September 2027, while
# GNOME 50 (March 2026) stops with GNOME 52 in March 2027.
RUNTIME = 'org.gnome.Platform'
SDK = 'org.gnome.Sdk'
RUNTIME_VERSION = '51'

# The sandbox: Wayland (X11 only as a fallback), IPC for X11's shared memory, the GPU for
# GTK's renderer, the network for the acquirer. No filesystem, no device beyond the GPU, no
# extra bus names (notifications and idle inhibition go through portals; the session bus name
# of the single instance is the app's own id). The terminal database lives in the app's data
# folder (~/.var/app/ID/data), which needs no permission.
FINISH_ARGS = {
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',
    '--share=network',
}

PROJECT_MODULE = 'till'
PROJECT_OPTIONS = {'--buildtype=release', '-Dwerror=true', '-Ddevelopment=false'}

# The version-macro prefixes of the root meson.build and the packages they stand for.
MACRO_PACKAGES = {
    'GLIB': ['glib-2.0', 'gio-2.0'],
    'GDK': ['gtk4'],
    'ADW': ['libadwaita-1'],
    'JSON': ['json-glib-1.0'],
    'SOUP': ['libsoup-3.0'],
}

SHA256_RE = re.compile(r'^[0-9a-f]{64}$')
COMMIT_RE = re.compile(r'^[0-9a-f]{40}$')
ARCHIVE_VERSION_RE = re.compile(r'-(\d+(?:\.\d+)+)\.(?:tar\.(?:gz|xz|bz2|zst)|tgz|zip)$')


def version_key(text):
    return tuple(int(part) for part in re.findall(r'\d+', text))


class Tap:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def check(self, ok, what, why=''):
        self.count += 1
        if not ok:
            self.failed += 1
        print('{} {} - {}'.format('ok' if ok else 'not ok', self.count, what))
        if not ok and why:
            for line in why.splitlines():
                print('# ' + line)

    def done(self):
        print('1..{}'.format(self.count))
        return 1 if self.failed else 0


def show_manifest(flatpak_builder, manifest):
    env = dict(os.environ, G_DEBUG='fatal-warnings')
    # flatpak-builder writes .flatpak-builder/ into its working directory: run where we are
    # (the build directory, as meson's test sets it).
    result = subprocess.run([flatpak_builder, '--show-manifest', manifest], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            check=False)
    return result


def meson_files(root):
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders
                         if not d.startswith('.') and d not in ('subprojects',)
                         and not os.path.exists(os.path.join(folder, d, 'meson-private'))]
        if 'meson.build' in files:
            yield os.path.join(folder, 'meson.build')


def project_requirements(root):
    """The dependency() minimums ({pkg: version or None}) and meson_version of the project."""
    deps = {}
    dep_re = re.compile(r"dependency\(\s*'([^']+)'(?:\s*,\s*version\s*:\s*'>=\s*([\d.]+)')?")
    for path in meson_files(root):
        with open(path, encoding='utf-8') as f:
            for name, version in dep_re.findall(f.read()):
                old = deps.get(name)
                if version and (old is None or version_key(version) > version_key(old)):
                    deps[name] = version
                else:
                    deps.setdefault(name, None)
    with open(os.path.join(root, 'meson.build'), encoding='utf-8') as f:
        top = f.read()
    meson_version = re.search(r"meson_version\s*:\s*'>=\s*([\d.]+)'", top)
    macros = dict(re.findall(r"'([A-Z]+)'\s*:\s*'(\d+_\d+)'", top))
    both_bounds = "'MIN_REQUIRED', 'MAX_ALLOWED'" in top
    return deps, meson_version.group(1) if meson_version else None, macros, both_bounds


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__ if __doc__ else 'usage: check-manifest.py FB MANIFEST ROOT\n')
        return 2
    flatpak_builder, manifest_path, root = sys.argv[1:]
    tap = Tap()

    shown = show_manifest(flatpak_builder, manifest_path)
    tap.check(shown.returncode == 0, 'flatpak-builder --show-manifest parses the manifest',
              shown.stderr)
    if shown.returncode != 0:
        return tap.done()
    manifest = json.loads(shown.stdout)

    tap.check(manifest.get('runtime') == RUNTIME and manifest.get('sdk') == SDK
              and manifest.get('runtime-version') == RUNTIME_VERSION,
              'runtime {}//{} with {}'.format(RUNTIME, RUNTIME_VERSION, SDK),
              'found {} {} {}'.format(manifest.get('runtime'), manifest.get('runtime-version'),
                                      manifest.get('sdk')))
    tap.check(manifest.get('separate-locales') is False,
              'separate-locales is false (translations stay in a single-file bundle)')

    args = set(manifest.get('finish-args', []))
    tap.check('--share=network' in args, 'the network is shared (the acquirer)')
    tap.check(args <= FINISH_ARGS, 'no permission beyond the narrow set',
              'extra: ' + ' '.join(sorted(args - FINISH_ARGS)))

    # Modules: build systems, pinned sources, update checkers, what they provide.
    provided = {}
    modules = manifest.get('modules', [])
    for module in modules:
        if isinstance(module, str):
            tap.check(False, 'module {} is inline'.format(module),
                      'keep modules inline so that this test sees them')
            continue
        name = module.get('name', '?')
        tap.check('buildsystem' in module, '{}: names its build system'.format(name))
        sources = module.get('sources', [])
        unpinned = []
        remote = []
        checked = False
        for source in sources:
            kind = source.get('type')
            if kind == 'dir' or ('url' not in source and 'path' in source):
                if kind == 'dir' and name != PROJECT_MODULE:
                    unpinned.append('a local folder')
                continue
            remote.append(source)
            if kind in ('archive', 'file'):
                if not SHA256_RE.match(source.get('sha256', '')):
                    unpinned.append(source.get('url', '?') + ' has no sha256')
            elif kind == 'git':
                if not COMMIT_RE.match(source.get('commit', '')):
                    unpinned.append(source.get('url', '?') + ' has no commit')
            else:
                unpinned.append('a {} source'.format(kind))
            checked = checked or 'x-checker-data' in source
        tap.check(sources and not unpinned, '{}: every source pinned'.format(name),
                  '\n'.join(unpinned) or 'no sources')
        if name == PROJECT_MODULE:
            continue
        tap.check(checked, '{}: update-checker data (x-checker-data)'.format(name))
        version = None
        for source in remote:
            match = ARCHIVE_VERSION_RE.search(source.get('url', ''))
            if match:
                version = match.group(1)
        pkg = module.get('x-provides')
        tap.check(bool(pkg and version), '{}: provides {} {}'.format(name, pkg, version),
                  'a module needs x-provides (its pkg-config name) and a versioned archive')
        if pkg and version:
            provided[pkg] = (version, 'module ' + name)

    project = [m for m in modules if isinstance(m, dict) and m.get('name') == PROJECT_MODULE]
    tap.check(len(project) == 1 and modules[-1] is project[0],
              'the project ({}) is the last module'.format(PROJECT_MODULE))
    if project:
        till = project[0]
        sources = till.get('sources', [])
        tap.check(till.get('buildsystem') == 'meson', 'the project builds with meson')
        tap.check(len(sources) == 1 and sources[0].get('type') == 'dir',
                  'the project builds from the local folder (type dir)')
        opts = set(till.get('config-opts', []))
        tap.check(PROJECT_OPTIONS <= opts,
                  'the project has the kiosk options: ' + ' '.join(sorted(PROJECT_OPTIONS)),
                  'missing: ' + ' '.join(sorted(PROJECT_OPTIONS - opts)))

    # The runtime's versions, with where each figure comes from.
    table = manifest.get('x-runtime-components', {})
    for pkg, entry in table.items():
        if pkg.startswith('x-'):
            continue
        tap.check(bool(entry.get('version') and entry.get('from')),
                  'runtime {} {} (from: {})'.format(pkg, entry.get('version'), entry.get('from')))
        provided.setdefault(pkg, (entry.get('version', '0'), 'runtime'))

    deps, meson_min, macros, both_bounds = project_requirements(root)
    sdk_meson = table.get('meson', {}).get('version')
    tap.check(bool(meson_min and sdk_meson)
              and version_key(meson_min) <= version_key(sdk_meson),
              "meson_version '>= {}' <= the SDK's meson {}".format(meson_min, sdk_meson))

    for pkg in sorted(deps):
        minimum = deps[pkg]
        have = provided.get(pkg)
        if have is None:
            tap.check(False, '{} is provided'.format(pkg),
                      'neither the runtime table nor a module (x-provides) has it')
            continue
        ok = minimum is None or version_key(have[0]) >= version_key(minimum)
        tap.check(ok, "{} '>= {}' <= {} {} ({})".format(pkg, minimum, pkg, have[0], have[1]))

    tap.check(both_bounds, 'the root meson.build sets MIN_REQUIRED and MAX_ALLOWED alike')
    for prefix, packages in sorted(MACRO_PACKAGES.items()):
        macro = macros.get(prefix)
        if macro is None:
            tap.check(False, '{}_VERSION_MIN_REQUIRED is set'.format(prefix))
            continue
        macro_version = macro.replace('_', '.')
        for pkg in packages:
            minimum = deps.get(pkg)
            tap.check(minimum is not None
                      and version_key(minimum)[:2] == version_key(macro_version),
                      "{}_VERSION_{} matches {} '>= {}'".format(prefix, macro, pkg, minimum))
            have = provided.get(pkg)
            tap.check(have is not None
                      and version_key(macro_version) <= version_key(have[0])[:2],
                      '{}_VERSION_{} <= {} {}'.format(prefix, macro, pkg,
                                                      have[0] if have else None))

    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
