# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Store URLs fit for output: no password, in any form libpq accepts.

    redact('postgresql://fleet:s3cret@db/fleet')  -> 'postgresql://fleet:***@db/fleet'
    scrub(str(exc), url)                          -> the message without any secret of url

Passwords reach URLs as userinfo (raw '@', '/', '?' included, which libpq
itself would misparse), as query parameters (password=, sslpassword=,
percent-encoded names), or as conninfo strings (password='a b').  Where the
text is ambiguous, more is masked, never less.
"""

from __future__ import annotations

import re
import typing as t
import urllib.parse

MASK = '***'
# parameter names whose values are shown: anything else containing "pass" is masked
SHOWN_PASS_PARAMS = frozenset({'passfile'})
SECRET_WORDS = ('pass', 'secret', 'token', 'pwd')
# secrets shorter than this are masked elsewhere in a text only where they stand alone
SHORT_SECRET = 4
_SCHEME_RE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')
# password= anywhere, whatever the surrounding syntax (last line of defence)
_ANY_SECRET_RE = re.compile(r'(?i)\b([a-z_]*(?:pass|secret|token|pwd)[a-z_]*)\s*=\s*')
_PIECES_RE = re.compile(r"[@/?:,&=#'\"\s\\]+")


def _is_secret_key(key: str) -> bool:
    name = urllib.parse.unquote(key).strip().lower()
    return name not in SHOWN_PASS_PARAMS and any(word in name for word in SECRET_WORDS)


def _quoted_end(text: str, pos: int) -> int:
    """End (exclusive) of the conninfo value starting at pos: 'quoted \\' value' or bare, backslash escapes."""
    if pos < len(text) and text[pos] == "'":
        i = pos + 1
        while i < len(text):
            if text[i] == '\\':
                i += 2
                continue
            if text[i] == "'":
                return i + 1
            i += 1
        return len(text)  # unterminated: everything to the end
    i = pos
    while i < len(text) and not text[i].isspace():
        i += 2 if text[i] == '\\' else 1
    return min(i, len(text))


def _uri_spans(url: str, start: int) -> list[tuple[int, int]]:
    spans = []
    rest = url[start:]
    user_end = -1
    if not rest.startswith('/'):
        # libpq: user[:password] ends at the first '@' unless a '/' comes first
        first = re.match(r'[^@/]*@', rest)
        if first:
            user_end = first.end() - 1
            colon = rest.find(':', 0, user_end)
            if colon >= 0:
                spans.append((start + colon + 1, start + user_end))
        # people also write raw '@' '/' '?' in passwords: the last '@' may end the userinfo
        last = rest.rfind('@')
        if last > user_end:
            colon = rest.find(':', 0, last)
            if colon >= 0:
                if '?' in rest[colon + 1:last]:
                    # a password, or the '@' of a query parameter: cannot tell, mask all
                    spans.append((start + colon + 1, len(url)))
                else:
                    spans.append((start + colon + 1, start + last))
            user_end = last
    query = rest.find('?', max(user_end, 0))
    if query >= 0:
        pos = start + query + 1
        for part in url[pos:].split('&'):
            key, equals, _value = part.partition('=')
            if equals and _is_secret_key(key):
                spans.append((pos + len(key) + 1, pos + len(part)))
            pos += len(part) + 1
    return spans


def _conninfo_spans(text: str) -> list[tuple[int, int]]:
    """libpq's key = value syntax; from the first thing it could not parse on, everything is masked."""
    spans = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return spans
        key_start = i
        while i < len(text) and not text[i].isspace() and text[i] != '=':
            i += 1
        key = text[key_start:i]
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] != '=':
            spans.append((key_start, len(text)))
            return spans
        i += 1
        while i < len(text) and text[i].isspace():
            i += 1
        end = _quoted_end(text, i)
        if _is_secret_key(key):
            spans.append((i, end))
        i = end


def _spans(url: str) -> list[tuple[int, int]]:
    scheme = _SCHEME_RE.match(url)
    spans = _uri_spans(url, scheme.end()) if scheme else _conninfo_spans(url)
    for match in _ANY_SECRET_RE.finditer(url):
        if match.group(1).lower() in SHOWN_PASS_PARAMS:
            continue
        pos = match.end()
        end = _quoted_end(url, pos)
        if scheme:
            amp = url.find('&', pos, end)
            end = end if amp < 0 else amp
        spans.append((pos, end))
    merged: list[list[int]] = []
    for begin, end in sorted(span for span in spans if span[1] > span[0]):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return [(span[0], span[1]) for span in merged]


def _unescape_conninfo(value: str) -> str:
    if value.startswith("'"):
        value = value[1:-1] if value.endswith("'") and len(value) > 1 else value[1:]
    return re.sub(r'\\(.)', r'\1', value)


def secrets(url: str, pieces: bool = True) -> list[str]:
    """Every secret in url, as written and decoded, and the pieces libpq may cut it into; longest first."""
    found: set[str] = set()
    for begin, end in _spans(url):
        raw = url[begin:end]
        for form in (raw, urllib.parse.unquote(raw), urllib.parse.unquote_plus(raw), _unescape_conninfo(raw)):
            found.add(form)
            if not pieces:
                continue
            # libpq reads a raw '@' or '/' in a password as the end of it and may echo the rest as a host,
            # port or database name in its error
            found.update(_PIECES_RE.split(form))
    found.discard('')
    return sorted(found, key=lambda s: (-len(s), s))


def _mask(text: str, values: t.Iterable[str]) -> str:
    for value in values:
        if len(value) >= SHORT_SECRET:
            text = text.replace(value, MASK)
        else:
            # a short one only where it stands alone: "p" must not eat every p of a message
            text = re.sub(rf'(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])', MASK, text)
    return text


def redact(url: t.Any) -> str:
    """url without any secret, for messages and results."""
    if not isinstance(url, str):
        return MASK
    parts = []
    pos = 0
    for begin, end in _spans(url):
        parts.append(url[pos:begin])
        parts.append(MASK)
        pos = end
    parts.append(url[pos:])
    shown = ''.join(parts)
    # a secret that also appears elsewhere (say, as the database name) goes too
    scheme = _SCHEME_RE.match(shown)
    head = scheme.group(0) if scheme else ''
    return head + _mask(shown[len(head):], secrets(url, pieces=False))


def scrub(text: str, url: t.Any) -> str:
    """text (an error message, say) without url and without any secret of url."""
    if not isinstance(url, str) or not url:
        return text
    text = text.replace(url, redact(url))
    return _mask(text, secrets(url))
