#!/usr/bin/env python3
"""check-names.py - CONTRIBUTING.md's naming rules, checked on every header of the programs.

Every name a header declares at file scope (functions, typedefs, struct/enum tags, enum
constants, macros) starts with the prefix of the module the header belongs to: the header's
base name (buf.h: buf_, BUF_), or the part before its first underscore when the header is a
part of a bigger module (client_int.h, jmx_plan.h, collect_wire.h: client_, jmx_, collect_).
The module's main type may be the prefix itself (`buf`, `plan`). Headers ending in _int.h
may also use the names of the module's other files (msdemo/server_int.h: conn_, respond_).
Types, enums and macros of an _int.h header are private to the module and may be short
(worker, ROW_*); its functions follow the rule. The time types of lib/core/clock.h (mono_ns,
wall_ns) are the one vocabulary shared by the whole tree. Release functions are _fini (in
place) or _destroy (the object too), never _free.
Exit 0 when every name follows them; else one line per name, file:line, and exit 1.
"""
import os, re, subprocess, sys

ROOTS = ('lib', 'msdemo', 'ptest', 'picluster')
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
try:
    files = subprocess.run(['git', 'ls-files', *ROOTS], capture_output=True, text=True, check=True).stdout.split()
except (OSError, subprocess.CalledProcessError):
    files = [os.path.join(d, f) for r in ROOTS for d, _, fs in os.walk(r) for f in fs]
headers = sorted(f for f in files if f.endswith('.h'))

def strip(src):
    src = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), src, flags=re.S)
    src = re.sub(r'//[^\n]*', '', src)
    return re.sub(r'"(\\.|[^"\\])*"', '""', src)

def declared(src):
    """(line, name) of the file-scope names of a header."""
    out, depth, line = [], 0, 1
    for m in re.finditer(r'\{|\}|\n|#\s*define\s+(\w+)|\b(struct|enum|union)\s+(\w+)\s*\{|'
                         r'\btypedef\b[^;{]*?\b(\w+)\s*;|\btypedef\b[^;]*\(\s*\*\s*(\w+)\s*\)|'
                         r'^\s*[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{]*\)\s*(?:__attribute__\(\([^;]*\)\))?\s*;', src, re.M):
        t = m.group(0)
        if t == '\n': line += 1; continue
        if t == '{': depth += 1; continue
        if t == '}': depth -= 1; continue
        if t.endswith('{'):
            depth += 1
        names = [('other', g) for g in (m.group(1), m.group(3), m.group(4), m.group(5)) if g]
        if m.group(6) and depth == 0: names.append(('func', m.group(6)))
        for k, n in names:
            out.append((line, k, n))
        line += t.count('\n')
    # enum constants: names in "enum {...}" bodies
    for m in re.finditer(r'\benum\b[^{;]*\{([^}]*)\}', src):
        base = src[:m.start()].count('\n') + 1
        for c in re.finditer(r'(?:^|,)\s*([A-Za-z_]\w*)', m.group(1)):
            out.append((base + m.group(1)[:c.start()].count('\n'), 'other', c.group(1)))
    return out

bad = 0
for h in headers:
    base = os.path.basename(h)[:-2]
    mod = base[:-4] if base.endswith('_int') else base
    prefixes = {mod, mod.split('_')[0]}
    if base.endswith('_int'):
        d = os.path.dirname(h)
        prefixes |= {f[:-2] for f in os.listdir(d) if f.endswith('.c')}
    src = strip(open(h).read())
    for line, kind, name in declared(src):
        low = name.lower()
        if low.endswith('_h') and low[:-2].endswith(base):      # include guard
            continue
        if name in ('mono_ns', 'wall_ns') and h == 'lib/core/clock.h':
            continue
        if base.endswith('_int') and kind != 'func':
            continue
        ok = any(low == p or low.startswith(p + '_') for p in prefixes)
        if not ok:
            print(f'{h}:{line}: {name}: not prefixed with {" or ".join(sorted(p + "_" for p in prefixes))}')
            bad += 1
        elif re.search(r'_free$', name):
            print(f'{h}:{line}: {name}: release functions are _fini (in place) or _destroy (the object too)')
            bad += 1
sys.exit(1 if bad else 0)
