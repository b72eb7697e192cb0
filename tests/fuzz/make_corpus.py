#!/usr/bin/env python3
"""Rebuilds the seed corpora in corpus/<target>/ from the repository's own inputs.

Run from anywhere: python3 tests/fuzz/make_corpus.py. Comment lines and indentation are
dropped so that the seeds stay under the 4 KiB the ctest runs allow (-max_len, CMakeLists.txt);
what remains is what the readers parse. A topology still too long is cut to fit while staying
well formed (DOT: its first statements, then `}`; GraphML: its first nodes and the edges
between them), rather than left for libFuzzer to cut mid-token. corpus/set/ is written by hand
(one `--set` per line) and left alone.
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
MAX_LEN = 4096

SOURCES = {
    "dot": ["topologies/*.dot", "tests/data/topology/*.dot", "tests/data/e2e/*.dot"],
    "graphml": ["topologies/*.graphml", "tests/data/topology/*.graphml", "tests/data/topology/*.xml"],
    "scenario": ["scenarios/*.yaml", "tests/data/scenario/*.yaml", "tests/data/e2e/*.yaml"],
}


def strip(kind, text):
    if kind == "dot":
        lines = [l.strip() for l in text.splitlines() if not l.strip().startswith("//")]
    elif kind == "graphml":
        text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
        lines = [l.strip() for l in text.splitlines()]
    else:  # YAML: indentation is syntax, keep it
        lines = [l.rstrip() for l in text.splitlines() if not l.strip().startswith("#")]
    return "\n".join(l for l in lines if l) + "\n"


def fit(kind, text):
    if len(text.encode()) <= MAX_LEN or kind == "scenario":
        return text
    if kind == "dot":
        kept = ""
        for line in text.splitlines(keepends=True):
            if len((kept + line).encode()) + 2 > MAX_LEN:
                break
            kept += line
        return kept + "}\n"
    text = re.sub(r'<data key="[ne]_(note|tech|shape)">.*?</data>\n', "", text, flags=re.S)
    head = text[: text.index("<node")]
    nodes = re.findall(r"<node .*?</node>\n|<node [^>]*/>\n", text, flags=re.S)
    edges = re.findall(r"<edge .*?</edge>\n|<edge [^>]*/>\n", text, flags=re.S)
    tail = "</graph>\n</graphml>\n"
    while True:
        ids = {re.search(r'id="([^"]*)"', n).group(1) for n in nodes}
        kept = [e for e in edges if re.search(r'source="([^"]*)"', e).group(1) in ids
                and re.search(r'target="([^"]*)"', e).group(1) in ids]
        out = head + "".join(nodes) + "".join(kept) + tail
        if len(out.encode()) <= MAX_LEN:
            return out
        nodes.pop()


def main():
    for kind, globs in SOURCES.items():
        out = CORPUS / kind
        out.mkdir(parents=True, exist_ok=True)
        for old in out.iterdir():
            old.unlink()
        for pattern in globs:
            for path in sorted(ROOT.glob(pattern)):
                data = fit(kind, strip(kind, path.read_text(encoding="utf-8", errors="replace"))).encode()
                name = path.relative_to(ROOT).as_posix().replace("/", "_")
                note = "" if len(data) <= MAX_LEN else f" (truncated to {MAX_LEN} by -max_len)"
                (out / name).write_bytes(data)
                print(f"{kind}/{name}: {len(data)} bytes{note}")


if __name__ == "__main__":
    main()
