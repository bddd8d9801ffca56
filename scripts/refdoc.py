#!/usr/bin/env python3
"""The reference pages of aiodb, made from include/aiodb.h.

The header's own layout is the input: a block comment documents the
declarations right below it (AIODB_EXTERN calls, typedefs, static inline
constructors, #defines) up to the next blank line or comment; a declaration
without one is documented by its trailing comment; a section banner
(/* ---- ... */) names the section that follows and, when a declaration sits
right under it, documents that one. A comment followed by a blank line is a
note of its section, printed in aiodb(7).

  refdoc.py HEADER --man DIR [--html FILE] [--version V]
      writes DIR/man3/<name>.3 (one page per comment; the other names it
      documents are .so links to it), DIR/man7/aiodb.7 and the HTML page.
  refdoc.py HEADER --check [--lib libaiodb.so] [--man DIR]
      fails when a public name has no documentation, when a comment names an
      aiodb_ or AIODB_ name the header does not declare, when it declares
      a call the library does not export or the library exports one the
      header lacks, when a page in DIR names nothing that exists, or when a
      page does not render cleanly (groff -man -ww -z).
"""
import argparse
import html
import os
import re
import subprocess
import sys

EXTERN_NAMES = set()           # the calls declared AIODB_EXTERN
UNREAD = []                    # lines of code not understood (--check fails)


class Entry:
    def __init__(self, section, doc, decls):
        self.section = section      # banner title
        self.doc = doc              # list of lines (comment text)
        self.decls = decls          # list of (names, text)
        self.primary = None         # the first name the comment documents

    @property
    def names(self):
        ns = [n for names, _ in self.decls for n in names]
        if self.primary in ns:
            ns.remove(self.primary)
            ns.insert(0, self.primary)
        return ns


def comment_lines(raw):
    """Text lines of a block comment, with /*, */ and leading ' * ' gone."""
    body = raw.strip()
    assert body.startswith('/*') and body.endswith('*/')
    body = body[2:-2]
    out = []
    for ln in body.split('\n'):
        s = ln.rstrip()
        m = re.match(r'^\s*\*(?!/)( ?)(.*)$', s)
        if m:
            s = m.group(2)
        elif out:
            s = s[1:] if s.startswith(' ') else s
        else:
            s = s.strip()
        out.append(s)
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    # a common indentation (comments written without ' * ') is dropped
    ind = min((len(l) - len(l.lstrip()) for l in out if l.strip()), default=0)
    return [l[ind:] for l in out]


def strip_comments(text):
    return re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)


def trailing_comment(text):
    """The comment after the code on a declaration's last line(s), if the
    declaration carries one (a one-line typedef or #define)."""
    m = re.search(r'[;\w)]\s*(/\*.*?\*/)\s*$', text, flags=re.S)
    if m and not text.lstrip().startswith('/*'):
        return comment_lines(m.group(1))
    return None


def decl_names(kind, text):
    code = strip_comments(text)
    if kind == 'define':
        return [re.match(r'#\s*define\s+(\w+)', code).group(1)]
    if kind in ('extern', 'inline'):
        head = code.split('{')[0] if kind == 'inline' else code
        m = re.search(r'(\w+)\s*\(', head)
        if m or kind == 'inline':
            return [m.group(1)] if m else []
    # typedef: a function pointer (*name), else the last word before ';'
    flat = re.sub(r'\{.*\}', '{}', code, flags=re.S)
    m = re.search(r'\(\s*\*\s*(\w+)\s*\)', flat)
    if m:
        return [m.group(1)]
    m = re.search(r'(\w+)\s*(\[[^\]]*\])?\s*;\s*$', flat.strip()) or \
        re.match(r'\s*(?:struct|enum|union)\s+(\w+)', flat)
    return [m.group(1)] if m else []


def parse(path):
    src = open(path, encoding='utf-8').read()
    lines = src.split('\n')
    i, n = 0, len(lines)
    entries, notes, intro = [], [], None
    banners = []                 # (title, body lines)
    section = ''
    pending = None               # (doc lines, is_banner)
    group = None                 # Entry being filled, or None
    loose = []                   # undocumented-by-comment declarations
    gaps = []
    unread = []                  # line numbers of code this script cannot read

    def flush_loose():
        nonlocal loose
        for names, text, kind in loose:
            tc = trailing_comment(text)
            if tc:
                entries.append(Entry(section, tc, [(names, text)]))
            else:
                gaps.extend(names)
        loose = []

    while i < n:
        ln = lines[i]
        s = ln.strip()
        if not s:
            if pending and not pending[1]:
                notes.append((section, pending[0]))
            pending = None
            group = None
            flush_loose()
            i += 1
            continue
        if s.startswith('/*'):
            j = i
            while '*/' not in lines[j]:
                j += 1
            raw = '\n'.join(lines[i:j + 1])
            i = j + 1
            doc = comment_lines(raw)
            if intro is None:
                intro = doc
                continue
            if pending and not pending[1]:
                notes.append((section, pending[0]))
            group = None
            if re.match(r'/\*\s*-{8,}', raw.strip()):
                body = [l for l in doc if not re.match(r'^-{8,}$', l.strip())]
                while body and not body[-1].strip():
                    body.pop()
                title = body[0].strip().rstrip('.') if body else ''
                section = re.split(r'[:.]\s', title)[0].strip().rstrip(':.')
                banners.append((section, body))
                pending = (body, True)
                # loose declarations right above a comment join its entry
                continue
            pending = (doc, False)
            continue
        # a declaration, or another preprocessor line
        kind = None
        if s.startswith('#'):
            if re.match(r'#\s*define\s+', s):
                kind = 'define'
            j = i
            while lines[j].rstrip().endswith('\\'):
                j += 1
        elif s.startswith('AIODB_EXTERN'):
            kind = 'extern'
            j = i
            while ';' not in strip_comments('\n'.join(lines[i:j + 1])):
                j += 1
        elif s.startswith('static inline'):
            kind = 'inline'
            j, depth, seen = i, 0, False
            while True:
                c = strip_comments(lines[j])
                depth += c.count('{') - c.count('}')
                seen = seen or '{' in c
                if seen and depth == 0:
                    break
                j += 1
        elif s.startswith(('typedef', 'struct ', 'enum ', 'union ')):
            kind = 'typedef'
            j, depth = i, 0
            while True:
                c = strip_comments(lines[j])
                depth += c.count('{') - c.count('}')
                if depth == 0 and ';' in c:
                    break
                j += 1
        else:
            j = i
            if s != '}' and not s.startswith('extern "C"'):
                unread.append(i + 1)
        while '\n'.join(lines[i:j + 1]).count('/*') > '\n'.join(lines[i:j + 1]).count('*/'):
            j += 1      # a trailing comment that goes on below
        text = '\n'.join(lines[i:j + 1])
        i = j + 1
        if kind == 'define':
            name = decl_names(kind, text)[0]
            if name.startswith('AIODB__') or name in ('AIODB_H', 'AIODB_EXTERN'):
                kind = None
        if kind is None:
            if pending and not pending[1]:
                notes.append((section, pending[0]))
            pending = None
            continue
        names = decl_names(kind, text)
        if not names:
            unread.append(i)
            continue
        if kind == 'extern':
            EXTERN_NAMES.update(names)
        if kind == 'inline':
            text = text.split('{')[0].rstrip() + ';'
        if kind == 'extern':    # the visibility macro is no reader's business
            pre = 'AIODB_EXTERN '
            text = '\n'.join(l[len(pre):] if k == 0 or l.startswith(' ' * len(pre)) else l
                             for k, l in enumerate(text.lstrip().split('\n')))
        if pending is not None and pending[1] and trailing_comment(text):
            pending = None      # under a banner, its own comment documents it
        if pending is not None:
            group = Entry(section, pending[0], [])
            group.primary = names[0] if names else None
            entries.append(group)
            pending = None
            # declarations just above that carry a trailing comment (a
            # flag of the call below) join its entry
            while loose and trailing_comment(loose[-1][1]):
                nm, tx, _ = loose.pop()
                group.decls.insert(0, (nm, tx))
            flush_loose()
        if group is not None:
            group.decls.append((names, text))
        else:
            loose.append((names, text, kind))
    flush_loose()
    UNREAD.extend(unread)
    return intro or [], entries, notes, banners, gaps


# ---------------------------------------------------------------- roff

def roff_esc(s):
    s = s.replace('\\', '\\e')
    return s


def roff_line(s):
    s = roff_esc(s)
    if s.startswith(('.', "'")):
        s = '\\&' + s
    return s


def blocks(doc):
    """Paragraphs, bullet items and literal (indented) blocks of a comment."""
    out, para = [], []

    def end():
        nonlocal para
        if para:
            out.append(('p', para))
        para = []

    k = 0
    while k < len(doc):
        l = doc[k]
        ind = len(l) - len(l.lstrip())
        st = l.strip()
        if not st:
            end()
            k += 1
            continue
        m = re.match(r'^([-*]|\d+\.)\s+(.*)$', st)
        if m and ind <= 2:
            end()
            item = [m.group(2)]
            k += 1
            while k < len(doc) and doc[k].strip() and \
                    len(doc[k]) - len(doc[k].lstrip()) > ind and \
                    not re.match(r'^([-*]|\d+\.)\s', doc[k].strip()):
                item.append(doc[k].strip())
                k += 1
            out.append(('li', item))
            continue
        if ind >= 2 and (not para or para_ends(para)):
            end()
            lit = []
            while k < len(doc) and doc[k].strip() and \
                    len(doc[k]) - len(doc[k].lstrip()) >= 2:
                lit.append(doc[k][2:] if doc[k].startswith('  ') else doc[k])
                k += 1
            out.append(('pre', lit))
            continue
        para.append(st)
        k += 1
    end()
    return out


def para_ends(para):
    return para[-1].rstrip().endswith((':', '.'))


def first_sentence(doc, names):
    bl = blocks(doc)
    text = ' '.join(bl[0][1]) if bl else ''
    text = re.sub(r'^(Constructor|Destructor):\s*', '', text)
    s, depth = text, 0
    for k, c in enumerate(text):
        depth += (c == '(') - (c == ')')
        nxt = text[k + 1:k + 2]
        if depth == 0 and c in '.;' and nxt in ('', ' ') and text[k - 1:k] != '.':
            s = text[:k]
            if len(s.split()) > 1:  # "Constructor." alone says too little
                break
    s = s.rstrip(':')
    if len(s) > 90:
        s = s[:87].rsplit(' ', 1)[0] + '...'
    return s or names[0]


def man_page(e, version, see):
    name = e.names[0]
    o = ['.\\" Generated from include/aiodb.h by scripts/refdoc.py: do not edit.',
         '.TH %s 3 "" "aiodb %s" "aiodb Library Functions"' % (name.upper(), version),
         '.nh', '.ad l',
         '.SH NAME',
         '%s \\- %s' % (', '.join(roff_esc(x) for x in e.names),
                        roff_esc(first_sentence(e.doc, e.names))),
         '.SH SYNOPSIS', '.nf', '.B #include <aiodb.h>', '.PP']
    for _, text in e.decls:
        for l in text.split('\n'):
            o.append(roff_line(l))
        o.append('')
    if o[-1] == '':
        o.pop()
    o += ['.fi', '.SH DESCRIPTION']
    for kind, ls in blocks(e.doc):
        if kind == 'p':
            o.append('.PP')
            o += [roff_line(l) for l in ls]
        elif kind == 'li':
            o.append('.IP \\(bu 2')
            o += [roff_line(l) for l in ls]
        else:
            o += ['.PP', '.RS 4', '.nf'] + [roff_line(l) for l in ls] + ['.fi', '.RE']
    o.append('.SH SEE ALSO')
    refs = ['.BR aiodb (7)'] + ['.BR %s (3)' % roff_esc(x) for x in see]
    o.append(',\n'.join(refs))
    return '\n'.join(o) + '\n'


def overview(intro, entries, notes, banners, version):
    o = ['.\\" Generated from include/aiodb.h by scripts/refdoc.py: do not edit.',
         '.TH AIODB 7 "" "aiodb %s" "aiodb Manual"' % version, '.nh', '.ad l',
         '.SH NAME', 'aiodb \\- non-blocking access to SQLite, PostgreSQL and MySQL/MariaDB',
         '.SH SYNOPSIS', '.nf', '.B #include <aiodb.h>', '.PP',
         '.B cc prog.c $(pkg-config --cflags --libs aiodb)', '.fi',
         '.SH DESCRIPTION']

    def add(doc):
        for kind, ls in blocks(doc):
            if kind == 'p':
                o.append('.PP')
                o.extend(roff_line(l) for l in ls)
            elif kind == 'li':
                o.append('.IP \\(bu 2')
                o.extend(roff_line(l) for l in ls)
            else:
                o.extend(['.PP', '.RS 4', '.nf'] + [roff_line(l) for l in ls] + ['.fi', '.RE'])
    body = intro[1:] if intro and intro[0].startswith('aiodb') else intro
    add(body)
    o += ['.PP', 'A program opens a database with',
          '.BR aiodb_open (3),',
          'submits statements with',
          '.BR aiodb_query (3)',
          '(or the other calls below), and gets each outcome from its future:',
          'polled, waited on, or delivered to a callback by',
          '.BR aiodb_cq_dispatch (3)',
          'on the thread that runs its loop.',
          'The guide, docs/guide.md in the source tree, explains each feature',
          'with examples; docs/misuse.md lists what bad input does.']
    sections = []
    for e in entries:
        if e.section not in sections:
            sections.append(e.section)
    for sec in sections:
        o.append('.SH %s' % roff_esc(sec.upper() or 'GENERAL'))
        for t, body in banners:
            if t == sec and len(body) > 1:
                add(body[1:] if body[0].strip().rstrip('.:') == sec else body)
        for t, doc in notes:
            if t == sec:
                add(doc)
        o.append('.PP')
        o.append('Pages:')
        o.append(',\n'.join('.BR %s (3)' % roff_esc(e.names[0])
                            for e in entries if e.section == sec))
    o += ['.SH SEE ALSO', 'docs/guide.md, docs/misuse.md and docs/internals.md in the',
          'aiodb sources.']
    return '\n'.join(o) + '\n'


# ---------------------------------------------------------------- html

def html_text(s, known):
    s = html.escape(s)
    return re.sub(r'\b(aiodb_\w+|AIODB_\w+)\b',
                  lambda m: '<a href="#%s">%s</a>' % (known[m.group(1)], m.group(1))
                  if m.group(1) in known else m.group(1), s)


def html_doc(doc, known):
    o = []
    for kind, ls in blocks(doc):
        if kind == 'p':
            o.append('<p>%s</p>' % html_text(' '.join(ls), known))
        elif kind == 'li':
            o.append('<ul><li>%s</li></ul>' % html_text(' '.join(ls), known))
        else:
            o.append('<pre>%s</pre>' % html_text('\n'.join(ls), known))
    return '\n'.join(o)


def html_page(intro, entries, notes, banners, version):
    known = {}
    for e in entries:
        for nm in e.names:
            known[nm] = e.names[0]
    o = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
         '<title>aiodb %s reference</title>' % version,
         '<style>body{max-width:60em;margin:auto;font-family:sans-serif;line-height:1.4}'
         'pre{background:#f4f4f4;padding:.5em;overflow-x:auto}'
         'h3{border-top:1px solid #ccc;padding-top:.5em}</style></head><body>',
         '<!-- Generated from include/aiodb.h by scripts/refdoc.py: do not edit. -->',
         '<h1>aiodb %s reference</h1>' % version, html_doc(intro, known),
         '<p>The guide is docs/guide.md in the sources.</p>', '<h2>Contents</h2>']
    sections = []
    for e in entries:
        if e.section not in sections:
            sections.append(e.section)
    for k, sec in enumerate(sections):
        o.append('<p><a href="#s%d"><b>%s</b></a>: %s</p>' % (
            k, html.escape(sec or 'General'),
            ', '.join('<a href="#%s">%s</a>' % (e.names[0], e.names[0])
                      for e in entries if e.section == sec)))
    for k, sec in enumerate(sections):
        o.append('<h2 id="s%d">%s</h2>' % (k, html.escape(sec or 'General')))
        for t, body in banners:
            if t == sec and len(body) > 1:
                o.append(html_doc(body[1:], known))
        for t, doc in notes:
            if t == sec:
                o.append(html_doc(doc, known))
        for e in entries:
            if e.section != sec:
                continue
            o.append('<h3 id="%s">%s</h3>' % (e.names[0], html.escape(', '.join(e.names))))
            for nm in e.names[1:]:
                o.append('<span id="%s"></span>' % nm)
            o.append('<pre>%s</pre>' % html.escape('\n\n'.join(t for _, t in e.decls)))
            o.append(html_doc(e.doc, known))
    o.append('</body></html>')
    return '\n'.join(o) + '\n'


# ---------------------------------------------------------------- check

def check(header, entries, gaps, lib, mandir):
    errors = []
    for g in gaps:
        errors.append('%s: declared in %s without a comment documenting it' % (g, header))
    for ln in UNREAD:
        errors.append('%s:%d: a declaration refdoc.py cannot read' % (header, ln))
    declared = set(n for e in entries for n in e.names) | set(gaps)
    seen = set()
    for e in entries:
        for nm in e.names:
            if nm in seen:
                errors.append('%s: declared twice' % nm)
            seen.add(nm)
    src = open(header, encoding='utf-8').read()
    enum_consts = set(re.findall(r'\b(AIODB_[A-Z0-9_]+)\s*=', strip_comments(src)))
    enum_consts |= {'AIODB_' + m for m in re.findall(r'XX\((\w+),', src)}
    # the macros of aiodb/version.h, made from cmake/version.h.in
    vin = os.path.join(os.path.dirname(os.path.abspath(header)), '..', 'cmake', 'version.h.in')
    version_macros = set(re.findall(r'#define\s+(AIODB_VERSION_\w+)\s',
                                    open(vin).read())) if os.path.exists(vin) else set()
    known = declared | enum_consts | version_macros | {'AIODB_H'}
    # every aiodb_ or AIODB_ word of a comment is a name the header declares,
    # except words in quotes (SQL, messages), prefixes ("AIODB_E...",
    # "AIODB_TRACE_*") and settings (AIODB_WARNINGS=error)
    for m in re.finditer(r'/\*.*?\*/', src, flags=re.S):
        text = ' '.join(comment_lines(m.group(0)))
        text = re.sub(r'"[^"]*"', '""', text)
        for w in re.finditer(r'\b(aiodb_\w+|AIODB_\w+)', text):
            nm, after = w.group(1), text[w.end():w.end() + 3]
            if nm in known or nm.endswith('_') or after.startswith(('...', '=')):
                continue
            errors.append('a comment names %s, which the header does not declare' % nm)
    calls = set(EXTERN_NAMES)
    if lib:
        out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True,
                             capture_output=True, text=True).stdout
        exported = set(l.split()[-1] for l in out.splitlines() if l.split())
        exported = set(x for x in exported if x.startswith('aiodb_'))
        for x in sorted(exported - calls):
            errors.append('%s: exported by %s but not an AIODB_EXTERN call of the header'
                          % (x, os.path.basename(lib)))
        for x in sorted(calls - exported):
            errors.append('%s: declared in the header but not exported by %s'
                          % (x, os.path.basename(lib)))
    else:
        exported = set()
    if mandir:
        pages = declared | exported | enum_consts | version_macros
        want = set(n for e in entries for n in e.names)
        have = set()
        for sec in ('man3', 'man7'):
            d = os.path.join(mandir, sec)
            for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                nm = f.rsplit('.', 1)[0]
                have.add(nm)
                if sec == 'man3' and nm not in pages:
                    errors.append('%s/%s: a page for a name that does not exist' % (sec, f))
                p = os.path.join(d, f)
                r = subprocess.run(['groff', '-man', '-ww', '-z', '-Tutf8'],
                                   stdin=open(p, 'rb'), capture_output=True, text=True,
                                   cwd=mandir)
                if r.returncode or r.stderr.strip():
                    errors.append('%s/%s: groff: %s' % (sec, f, r.stderr.strip() or r.returncode))
        for x in sorted(want - have):
            errors.append('%s: no page in %s/man3' % (x, mandir))
        if 'aiodb' not in have:
            errors.append('no aiodb(7) page in %s/man7' % mandir)
    for e in errors:
        print('refdoc: ' + e, file=sys.stderr)
    print('refdoc: %d entries, %d names, %d calls%s: %s' % (
        len(entries), len(declared), len(calls),
        ', %d exported' % len(exported) if lib else '',
        'FAILED, %d problems' % len(errors) if errors else 'ok'))
    return 1 if errors else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('header')
    ap.add_argument('--man')
    ap.add_argument('--html')
    ap.add_argument('--version', default='')
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--lib')
    a = ap.parse_args()
    intro, entries, notes, banners, gaps = parse(a.header)
    if a.check:
        return check(a.header, entries, gaps, a.lib, a.man)
    if a.man:
        for sec in ('man3', 'man7'):
            d = os.path.join(a.man, sec)
            os.makedirs(d, exist_ok=True)
            for f in os.listdir(d):       # pages of names since removed
                os.remove(os.path.join(d, f))
        by_section = {}
        for e in entries:
            by_section.setdefault(e.section, []).append(e.names[0])
        for e in entries:
            see = [x for x in by_section[e.section] if x != e.names[0]]
            with open(os.path.join(a.man, 'man3', e.names[0] + '.3'), 'w') as f:
                f.write(man_page(e, a.version, see))
            for other in e.names[1:]:
                with open(os.path.join(a.man, 'man3', other + '.3'), 'w') as f:
                    f.write('.so man3/%s.3\n' % e.names[0])
        with open(os.path.join(a.man, 'man7', 'aiodb.7'), 'w') as f:
            f.write(overview(intro, entries, notes, banners, a.version))
    if a.html:
        os.makedirs(os.path.dirname(os.path.abspath(a.html)), exist_ok=True)
        with open(a.html, 'w') as f:
            f.write(html_page(intro, entries, notes, banners, a.version))
    return 0


if __name__ == '__main__':
    sys.exit(main())
