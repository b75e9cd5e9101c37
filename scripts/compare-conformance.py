#!/usr/bin/env python3
"""Compare a conformance runner's output with a corpus's expected.jsonl.

usage: compare-conformance.py CORPUS_DIR ACTUAL_JSONL [--show N]
Prints mismatches (with the request) and a final line `NAME: N passed, N failed`.
Exits non-zero on any failure or when nothing was compared.
"""
import json
import sys


def main() -> int:
    corpus, actual_path = sys.argv[1], sys.argv[2]
    show = int(sys.argv[sys.argv.index("--show") + 1]) if "--show" in sys.argv else 20
    name = corpus.rstrip("/").split("/")[-1]
    with open(f"{corpus}/expected.jsonl") as f:
        expected = [json.loads(line) for line in f if line.strip()]
    with open(f"{corpus}/requests.jsonl") as f:
        requests = [json.loads(line) for line in f if line.strip()]
    with open(actual_path) as f:
        actual = [json.loads(line) for line in f if line.strip()]
    passed = failed = 0
    for i, exp in enumerate(expected):
        got = actual[i] if i < len(actual) else None
        fields = ("treatment", "config", "label")
        if got is not None and got.get("id") == exp.get("id") and all(got.get(k) == exp.get(k) for k in fields):
            passed += 1
            continue
        failed += 1
        if failed <= show:
            print(f"MISMATCH id={exp.get('id')}\n  request:  {json.dumps(requests[i])}\n  expected: {json.dumps(exp)}\n  actual:   {json.dumps(got)}")
    if len(actual) != len(expected):
        print(f"row count differs: expected {len(expected)}, actual {len(actual)}")
        failed += max(0, len(actual) - len(expected))
    print(f"conformance {name}: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
