"""Read a policy's text (.txt, Markdown, .html) into the snapshot `policykg draft` quotes, with a map of its
blocks: headings, paragraphs, list items and table rows, each with its offsets in the snapshot.

The snapshot is the text actually drafted from: NFC, LF line ends, no zero-width characters, no trailing
spaces, one final newline. A Markdown source (the format of Open Terms Archive's versions repositories) is
parsed with markdown-it-py: markup, link targets and images are left out, list items become `- item`,
table rows `cell | cell`. An HTML page is parsed with BeautifulSoup (lxml): scripts, styles, navigation,
headers, footers, forms and cookie banners are dropped and the main element (`<main>`, `<article>`,
`role=main`, else `<body>`) is read block by block. See docs/decisions/0006-draft-extraction.md.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KgError
from ..files import decode_utf8, read_input

DEFAULT_MAX_SOURCE = 2 * 1024 * 1024   # 2 MiB: the longest policies we know are ~200 KB of text
MIN_TEXT = 200                          # characters of main text below which a page holds no policy
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_BULLET = re.compile(r"^(\s*)([-*•·–—▪◦●]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}[.)])\s+")
_MAGIC = ((b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
          (b"GIF8", "a GIF image"), (b"RIFF", "a RIFF file (WebP image or audio)"), (b"PK\x03\x04", "a ZIP archive "
          "(Word, OpenDocument or EPUB)"), (b"\xd0\xcf\x11\xe0", "an old Office document"), (b"{\\rtf", "an RTF document"),
          (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"\x1f\x8b", "a gzip archive"))
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "nav", "header", "footer",
              "aside", "form", "button", "select", "input", "dialog", "object", "embed", "head")
_BANNER = re.compile(r"cookie|consent|gdpr-banner|didomi|onetrust|tarteaucitron|axeptio|newsletter-popup|modal", re.I)
_BLOCK_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "dt", "dd", "blockquote", "pre", "address",
               "figcaption", "caption", "summary"}

@dataclass
class Block:
    """One block of the snapshot: `kind` heading | paragraph | item | row; `start`/`end` its text's offsets
    (after a list marker); `level` the heading level (1-6) or list depth; `section` the index in
    `Document.blocks` of the heading it falls under (None before the first heading)."""
    kind: str
    start: int
    end: int
    level: int = 0
    section: int | None = None
    cells: list[tuple[int, int]] = field(default_factory=list)   # a table row's cells


@dataclass
class Document:
    text: str
    blocks: list[Block]
    kind: str                       # txt | markdown | html
    title: str | None = None

    def block_text(self, block: Block) -> str:
        return self.text[block.start:block.end]

    def heading_of(self, block: Block) -> Block | None:
        return self.blocks[block.section] if block.section is not None else None


class DraftInputError(KgError):
    id = "draft-format"


# --- entry ----------------------------------------------------------------------------------------------

def read_source(path: str | Path, *, max_size: int | None = None) -> Document:
    """The snapshot text and its block map of a .txt, .md or .html file (kind from the extension, else
    from the content), or the error that says why it cannot be drafted from."""
    path = Path(path)
    _refuse_known_binary(path)
    data = read_input(path, "policy text", default_limit=max_size or DEFAULT_MAX_SOURCE)
    text = decode_utf8(data, path)
    kind = _kind(path, text)
    if kind == "html":
        lines = _html_lines(text)
    elif kind == "markdown":
        lines = _markdown_lines(text)
    else:
        lines = _text_lines(text)
    doc = _assemble(lines, kind)
    if len(re.sub(r"\s+", "", doc.text)) < MIN_TEXT or not any(b.kind in ("paragraph", "item", "row")
                                                               for b in doc.blocks):
        what = "the page's main text" if kind == "html" else "the file"
        raise DraftInputError(f"{what} holds no policy text ({len(doc.text.strip())} characters after "
                              f"{'removing scripts, navigation and banners' if kind == 'html' else 'cleaning'})",
                              str(path), "give the page of the policy itself (or save its text as .txt)",
                              error_id="draft-no-text")
    return doc


def _refuse_known_binary(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except (FileNotFoundError, IsADirectoryError, PermissionError, OSError):
        return   # read_input says what is wrong with the path
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise DraftInputError(f"{path} is {what}, not a policy text", str(path),
                                  "give the policy as .txt, Markdown (.md) or .html (for a PDF: save its text, "
                                  "e.g. pdftotext -layout FILE.pdf FILE.txt, and check it)", error_id="draft-format")


def _kind(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix == ".txt":
        return "txt"
    head = text.lstrip()[:500].lower()
    if head.startswith(("<!doctype html", "<html")) or "<body" in head:
        return "html"
    return "txt"


def clean(text: str) -> str:
    """NFC, LF line ends, no zero-width characters or soft hyphens, no-break spaces kept."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).translate(_INVISIBLE)
    return text


# --- the three readers give (kind, level, text) lines --------------------------------------------------------

def _text_lines(text: str) -> list[tuple[str, int, str]]:
    out = []
    for raw in clean(text).split("\n"):
        line = raw.rstrip()
        if not line.strip():
            out.append(("blank", 0, ""))
            continue
        bullet = _BULLET.match(line)
        if bullet and len(line) > bullet.end():
            out.append(("item", len(bullet.group(1)) // 2 + 1, line))
        elif looks_like_heading(line):
            out.append(("heading", 0, line))
        else:
            out.append(("paragraph", 0, line))
    return out


def looks_like_heading(line: str) -> bool:
    """A short line with a letter, not ending like a sentence or an introduction (., ;, :, ,)."""
    stripped = line.strip()
    return (0 < len(stripped) <= 90 and stripped[-1] not in ".;:,!?)»\"”" and any(c.isalpha() for c in stripped)
            and not stripped.startswith(("http://", "https://", "www.")) and "@" not in stripped
            and len(stripped.split()) <= 12)


def _markdown_lines(text: str) -> list[tuple[str, int, str]]:
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(clean(text))
    out: list[tuple[str, int, str]] = []
    depth, kind, row = 0, "paragraph", None
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "heading_open":
            kind = "heading:" + tok.tag[1:]
        elif tok.type == "paragraph_open":
            kind = "item" if depth else "paragraph"
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            if row and any(c.strip() for c in row):
                out.append(("row", 0, " | ".join(c.strip() for c in row)))
            row = None
        elif tok.type == "inline":
            content = _inline_text(tok)
            if row is not None:
                row.append(content.replace("\n", " "))
                continue
            for i, line in enumerate(content.split("\n")):
                if not line.strip():
                    continue
                if kind.startswith("heading:"):
                    out.append(("heading", int(kind[8:]), line.strip()))
                elif kind == "item":
                    out.append(("item" if i == 0 else "item-cont", depth, line.strip()))
                else:
                    out.append(("paragraph", 0, line.strip()))
        elif tok.type in ("heading_close", "paragraph_close"):
            if tok.type == "heading_close" or not depth:   # list items stay together
                out.append(("blank", 0, ""))
            kind = "paragraph"
        elif tok.type in ("code_block", "fence"):
            out += [("paragraph", 0, line.rstrip()) for line in tok.content.split("\n") if line.strip()]
        elif tok.type == "html_block":
            out += _html_lines(tok.content, fragment=True)
    return out


def _inline_text(tok) -> str:
    parts = []
    for child in tok.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "html_inline":
            continue
    return re.sub(r"[ \t]+", " ", "".join(parts))


def _html_lines(html: str, *, fragment: bool = False) -> list[tuple[str, int, str]]:
    from bs4 import BeautifulSoup, NavigableString, Tag
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(list(_DROP_TAGS)):
        tag.decompose()
    for tag in list(soup.find_all(True)):
        if tag.decomposed:
            continue
        attrs = " ".join([tag.get("id") or ""] + list(tag.get("class") or []))
        if (tag.name not in ("html", "body", "main", "article") and _BANNER.search(attrs)) or \
                tag.get("aria-hidden") == "true" or tag.get("hidden") is not None or \
                re.search(r"display\s*:\s*none", tag.get("style") or ""):
            tag.decompose()
    root = None if fragment else (soup.find("main") or soup.find(attrs={"role": "main"}) or soup.find("article"))
    root = root or soup.body or soup
    out: list[tuple[str, int, str]] = []

    def lines_of(node) -> list[str]:
        """The text of a block, a <br> starting a new line; comments and doctype left out."""
        parts = []
        for d in node.descendants:
            if isinstance(d, Tag) and d.name == "br":
                parts.append("\n")
            elif type(d) is NavigableString:
                parts.append(str(d))
        return [re.sub(r"\s+", " ", line).strip() for line in "".join(parts).split("\n") if line.strip()]

    def item(lines: list[str], depth: int, first: bool) -> bool:
        for line in lines:
            out.append(("item" if first else "item-cont", depth, line))
            first = False
        return first

    def walk(nodes, depth: int) -> None:
        for child in nodes:
            if type(child) is NavigableString:
                if child.strip():
                    out.append(("paragraph", 0, re.sub(r"\s+", " ", child).strip()))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in ("ul", "ol"):
                walk(child.children, depth + 1)
            elif name == "tr":
                cells = [re.sub(r"\s+", " ", c.get_text(" ")).strip() for c in child.find_all(["td", "th"])]
                if any(cells):
                    out.append(("row", 0, " | ".join(cells)))
            elif name in ("h1", "h2", "h3", "h4", "h5", "h6"):
                text = re.sub(r"\s+", " ", child.get_text(" ")).strip()
                if text:
                    out.append(("heading", int(name[1]), text))
                    out.append(("blank", 0, ""))
            elif name == "li":
                first, buf = True, []
                for sub in child.children:
                    if isinstance(sub, Tag) and sub.name in ("ul", "ol", "p", "div", "table"):
                        first = item(lines_of_parts(buf), depth, first)
                        buf = []
                        if sub.name == "p" and first:
                            first = item(lines_of(sub), depth, first)
                        else:
                            walk([sub], depth)
                    else:
                        buf.append(sub)
                item(lines_of_parts(buf), depth, first)
            elif name in _BLOCK_TAGS:
                out.extend(("paragraph", 0, line) for line in lines_of(child))
                out.append(("blank", 0, ""))
            elif name not in ("img", "br", "hr"):
                walk(child.children, depth)

    def lines_of_parts(parts) -> list[str]:
        text = "".join("\n" if isinstance(p, Tag) and p.name == "br" else
                       (p.get_text() if isinstance(p, Tag) else str(p) if type(p) is NavigableString else "")
                       for p in parts)
        return [re.sub(r"\s+", " ", line).strip() for line in text.split("\n") if line.strip()]

    walk(root.children, 0)
    return out


# --- lines -> snapshot + blocks ----------------------------------------------------------------------------------

def _assemble(lines: list[tuple[str, int, str]], kind: str) -> Document:
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    section: int | None = None
    previous = "blank"
    for line_kind, level, line in lines:
        if line_kind == "blank":
            previous = "blank"
            continue
        line = line.rstrip()
        if kind != "txt" and line_kind == "paragraph" and looks_like_heading(line) and previous == "blank" \
                and len(line.split()) <= 8:
            line_kind, level = "heading", 0    # a short paragraph alone: a heading written as text
        if kind != "txt":
            if line_kind == "item":
                line = "  " * max(level - 1, 0) + "- " + line
            elif line_kind == "item-cont":
                line = "  " * level + line
            if parts and (line_kind == "heading" or previous == "blank") and not parts[-1] == "":
                parts.append("")
                pos += 1
        offset = pos
        parts.append(line)
        pos += len(line) + 1
        content_start = offset + (len(line) - len(line.lstrip()))
        if line_kind == "item":
            m = _BULLET.match(line)
            content_start = offset + (m.end() if m else 0)
        block_kind = {"item-cont": "item"}.get(line_kind, line_kind)
        block = Block(block_kind, content_start, offset + len(line), level,
                      section if line_kind != "heading" else _parent_section(blocks, section, level))
        if block_kind == "row":
            cells, cursor = [], content_start
            for cell in line.split(" | "):
                cells.append((cursor, cursor + len(cell)))
                cursor += len(cell) + 3
            block.cells = cells
        blocks.append(block)
        if line_kind == "heading":
            section = len(blocks) - 1
        previous = line_kind
    text = "\n".join(parts).rstrip("\n") + "\n"
    title = next((text[b.start:b.end] for b in blocks if b.kind == "heading"), None)
    return Document(text, blocks, kind, title)


def _parent_section(blocks: list[Block], section: int | None, level: int) -> int | None:
    """The heading a new heading of `level` falls under (None for a top-level or unlevelled one)."""
    while section is not None and level and blocks[section].level and blocks[section].level >= level:
        section = blocks[section].section
    return section if level and section is not None and blocks[section].level and blocks[section].level < level \
        else None
