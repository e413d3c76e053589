#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two bindgen outputs of a uAPI struct, member by member.

    uapi-layout.py STRUCT OLD.rs NEW.rs

Each input is what bindgen generates from a uAPI header (with its layout
tests, which give every field's offset: bindgen 0.69 or later, whose
tests are `const` items).  Every member path that a VMM's
bindings can name in OLD, say kvm_run.__bindgen_anon_1.io.port, must name the
same member in NEW: the same offset from the start of STRUCT, and the same
type (or, for bindgen's numbered anonymous types, the same size); and
STRUCT keeps its size.  NEW may add members.  A line in a type's body
that is not a member it can read, or an anonymous member of a packed
type, whose offset it would have to compute, is an error.  Prints one
line a missing or changed member and fails if there is any; prints the
number of members checked either way.
"""
import re
import sys

DEF = re.compile(r'^pub (struct|union) (\w+) \{$')
FIELD = re.compile(r'^\s+pub (\w+): (.+),$')
# bindgen's layout tests, which rustfmt may break over lines.
OFFSET = re.compile(r'"Offset of field: (\w+)::(\w+)"\]\s*\[[^;]*?-\s*(\d+)usize\s*\]')
SIZE = re.compile(r'"Size of (\w+)"\]\s*\[[^;]*?-\s*(\d+)usize\s*\]')
ALIGN = re.compile(r'"Alignment of (\w+)"\]\s*\[[^;]*?-\s*(\d+)usize\s*\]')
ALIAS = re.compile(r'^pub type (\w+) = (.+);$', re.M)
ARRAY = re.compile(r'^\[(.+); (\d+)usize\]$')
PRIMITIVE = {'c_char': 1, 'c_schar': 1, 'c_uchar': 1, 'u8': 1, 'i8': 1,
             'c_short': 2, 'c_ushort': 2, 'u16': 2, 'i16': 2,
             'c_int': 4, 'c_uint': 4, 'u32': 4, 'i32': 4,
             'c_long': 8, 'c_ulong': 8, 'c_longlong': 8, 'c_ulonglong': 8,
             'u64': 8, 'i64': 8}


def parse(path):
    types, offsets, sizes, aligns, unions, packed = {}, {}, {}, {}, set(), set()
    current, repr_line = None, ''
    with open(path, encoding='utf-8') as f:
        text = f.read()
    # rustfmt breaks a long member after its colon: join it back.
    text = re.sub(r'(?m)^(\s+pub \w+:)\n\s+', r'\1 ', text)
    for n, line in enumerate(text.splitlines(), 1):
        m = DEF.match(line)
        if m:
            if 'packed' in repr_line:
                packed.add(m.group(2))
            current = types.setdefault(m.group(2), [])
            if m.group(1) == 'union':
                unions.add(m.group(2))
        elif line == '}':
            current = None
        elif current is not None:
            m = FIELD.match(line)
            if m:
                current.append((m.group(1), m.group(2)))
            elif line.strip() and not line.strip().startswith(('#[', '//')):
                # A member this parser cannot read would go unchecked.
                sys.exit(f'uapi-layout: {path}:{n}: cannot read: {line.strip()}')
        repr_line = line if line.startswith('#[repr(') else (
            repr_line if line.startswith('#[') else '')
    for m in OFFSET.finditer(text):
        offsets[(m.group(1), m.group(2))] = int(m.group(3))
    for m in SIZE.finditer(text):
        sizes[m.group(1)] = int(m.group(2))
    for m in ALIGN.finditer(text):
        aligns[m.group(1)] = int(m.group(2))
    aliases = dict(ALIAS.findall(text))
    return types, offsets, sizes, aligns, aliases, unions, packed


def size_of(ftype, parsed):
    """The size of a field's type, for the offset of the field after it."""
    _, _, sizes, _, aliases, _, _ = parsed
    while ftype in aliases:
        ftype = aliases[ftype]
    if ftype in sizes:
        return sizes[ftype]
    m = ARRAY.match(ftype)
    if m:
        return int(m.group(2)) * size_of(m.group(1), parsed)
    if ftype.startswith('__IncompleteArrayField<'):
        return 0
    base = ftype.rsplit('::', 1)[-1]
    if base in PRIMITIVE:
        return PRIMITIVE[base]
    sys.exit(f'uapi-layout: no size for type {ftype}')


def members(name, parsed):
    """Every member path below struct NAME: path -> (offset, what)."""
    types, offsets, sizes, aligns, _, unions, packed = parsed
    out = {}

    def walk(tname, prefix, base):
        end = 0
        for field, ftype in types[tname]:
            key = (tname, field)
            if key in offsets:
                rel = offsets[key]
            elif field.startswith('__bindgen_anon_') and ftype in aligns:
                if tname in packed:
                    # C's alignment rules, which the offset is computed
                    # from, do not hold in a packed type.
                    sys.exit(f'uapi-layout: anonymous member {field} of packed {tname}')
                # bindgen tests no anonymous member's offset: it is
                # where the member before it ends, aligned up (0 in a
                # union, whose members all start at 0).
                a = aligns[ftype]
                rel = 0 if tname in unions else (end + a - 1) // a * a
            else:
                sys.exit(f'uapi-layout: no layout test gives {tname}::{field}')
            end = rel + size_of(ftype, parsed)
            off = base + rel
            path = f'{prefix}.{field}'
            if ftype in types:
                # A numbered anonymous type's name depends on the order of
                # its siblings; its size does not.
                what = (f'{sizes.get(ftype)} bytes'
                        if '__bindgen_ty_' in ftype else ftype)
                out[path] = (off, what)
                walk(ftype, path, off)
            else:
                out[path] = (off, re.sub(r'\w+__bindgen_ty_\w+', 'anon', ftype))

    if name not in types:
        sys.exit(f'uapi-layout: bindgen gave no struct {name}')
    walk(name, name, 0)
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    name, old_path, new_path = sys.argv[1:]
    old_parsed, new_parsed = parse(old_path), parse(new_path)
    old = members(name, old_parsed)
    new = members(name, new_parsed)
    bad = 0
    old_size, new_size = old_parsed[2].get(name), new_parsed[2].get(name)
    if old_size is None or old_size != new_size:
        print(f'size:    {name}: {old_size} -> {new_size} bytes')
        bad += 1
    for path, (off, what) in sorted(old.items()):
        if path not in new:
            print(f'gone:    {path} (offset {off}, {what})')
            bad += 1
        elif new[path] != (off, what):
            print(f'changed: {path}: offset {off}, {what} -> '
                  f'offset {new[path][0]}, {new[path][1]}')
            bad += 1
    added = sorted(set(new) - set(old))
    for path in added:
        print(f'added:   {path} (offset {new[path][0]}, {new[path][1]})')
    print(f'{name}: {old_size} bytes; {len(old)} members checked, '
          f'{bad} gone or changed, {len(added)} added')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
