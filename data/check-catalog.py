#!/usr/bin/env python3
# Checks that a product catalog (a GKeyFile, see data/catalog/festival.ini) parses and is
# consistent: every product has a name, a positive integer price in minor units and a
# category that exists. Prints TAP; the exit status is 0 only if every check passed.
#
# Only the standard library: configparser reads GKeyFile's subset of the INI syntax once
# interpolation is off ("%" is literal in GKeyFile) and duplicate keys are allowed (GKeyFile
# keeps the last one). A first pass rejects what configparser accepts but GKeyFile does not
# (":" separators, indented continuation lines), so a catalog that passes here also loads
# in the app.
#
# Usage: check-catalog.py CATALOG.ini [LINGUAS]

import configparser
import re
import sys

KEY_LINE = re.compile(r'^[A-Za-z0-9-]+(\[[A-Za-z_@.]+\])?\s*=')
GROUP_LINE = re.compile(r'^\[[^\[\]]+\]\s*$')
COLOR = re.compile(r'^#[0-9a-fA-F]{6}$')
CURRENCY = re.compile(r'^[A-Z]{3}$')

results = []


def check(ok, what):
    results.append((bool(ok), what))
    return ok


def is_int(value, minimum):
    return re.fullmatch(r'[0-9]+', value or '') is not None and int(value) >= minimum


def main(argv):
    if len(argv) < 2:
        print('usage: check-catalog.py CATALOG.ini [LINGUAS]', file=sys.stderr)
        return 2
    path = argv[1]
    languages = []
    if len(argv) > 2:
        with open(argv[2], encoding='utf-8') as f:
            for line in f:
                languages += line.split('#', 1)[0].split()

    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print('not ok 1 - %s can be read as UTF-8: %s' % (path, e))
        print('1..1')
        return 1

    bad = [(n, line) for n, line in enumerate(text.splitlines(), 1)
           if line.strip() and not line.startswith('#')
           and not GROUP_LINE.match(line) and not KEY_LINE.match(line)]
    for n, line in bad:
        check(False, 'line %d is a GKeyFile group, key=value or comment: %r' % (n, line))
    check(not bad, 'every line is a GKeyFile group, key=value or comment')

    parser = configparser.ConfigParser(interpolation=None, strict=False,
                                       delimiters=('=',), comment_prefixes=('#',),
                                       empty_lines_in_values=False, default_section='\x00')
    parser.optionxform = str  # GKeyFile keys are case-sensitive.
    try:
        parser.read_string(text, source=path)
    except configparser.Error as e:
        check(False, 'the catalog parses: %s' % ' '.join(str(e).split()))
        return report()
    check(True, 'the catalog parses')

    if check(parser.has_section('catalog'), 'there is a [catalog] group'):
        catalog = parser['catalog']
        check(catalog.get('name', '').strip(), '[catalog] has a name')
        check(CURRENCY.match(catalog.get('currency', '')),
              '[catalog] currency is an ISO 4217 code: %r' % catalog.get('currency'))
        for lang in languages:
            check(catalog.get('name[%s]' % lang, '').strip(), '[catalog] has a name in %s' % lang)

    categories = {}
    products = {}
    for section in parser.sections():
        kind, _, ident = section.partition(' ')
        if kind == 'category' and ident:
            categories[ident] = parser[section]
        elif kind == 'product' and ident:
            products[ident] = parser[section]
        elif section != 'catalog':
            check(False, 'group [%s] is [catalog], [category ID] or [product ID]' % section)

    check(categories, 'there is at least one category')
    check(products, 'there is at least one product')

    def check_common(label, group):
        check(group.get('name', '').strip(), '%s has a name' % label)
        for lang in languages:
            check(group.get('name[%s]' % lang, '').strip(),
                  '%s has a name in %s' % (label, lang))
        if 'order' in group:
            check(is_int(group['order'], 0),
                  '%s order is an integer: %r' % (label, group['order']))

    for ident, group in categories.items():
        label = 'category %s' % ident
        check_common(label, group)
        if 'color' in group:
            check(COLOR.match(group['color']), '%s color is #rrggbb: %r' % (label, group['color']))
        if 'floor-limit' in group:
            check(is_int(group['floor-limit'], 0),
                  '%s floor-limit is an integer >= 0: %r' % (label, group['floor-limit']))

    for ident, group in products.items():
        label = 'product %s' % ident
        check_common(label, group)
        check(is_int(group.get('price'), 1),
              '%s price is an integer > 0 in minor units: %r' % (label, group.get('price')))
        check(group.get('category') in categories,
              '%s category exists: %r' % (label, group.get('category')))

    return report()


def report():
    for n, (ok, what) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
    print('1..%d' % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
