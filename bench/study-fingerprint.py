#!/usr/bin/env python3
"""Fingerprint of a finished study folder, to show that a restructuring trains the same cells.

Prints one line per cell (the SHA-256 of its model.params, the weights, and of its test
probabilities as written in cell.json) and a last line, the SHA-256 of summary.json with the wall-time
fields (minutesMean, seconds) removed, since those differ between runs of the same cells.
Usage: python3 bench/study-fingerprint.py STUDY_DIR
"""
import hashlib
import json
import pathlib
import sys

TIMING = {"minutesMean", "seconds", "secondsMean"}


def without_timing(node):
    if isinstance(node, dict):
        return {k: without_timing(v) for k, v in node.items() if k not in TIMING}
    if isinstance(node, list):
        return [without_timing(v) for v in node]
    return node


def sha(data):
    return hashlib.sha256(data).hexdigest()


def main(study):
    root = pathlib.Path(study)
    for cell in sorted(root.glob("cells/*/*/fold-*/seed-*")):
        weights = sha((cell / "model.params").read_bytes())
        test = json.loads((cell / "cell.json").read_text())["test"]
        probabilities = sha(json.dumps([[r["imageId"], r["probabilities"]] for r in test]).encode())
        print(f"{cell.relative_to(root)} weights {weights[:16]} test {probabilities[:16]}")
    summary = without_timing(json.loads((root / "summary.json").read_text()))
    print("summary.json without wall times", sha(json.dumps(summary, sort_keys=True).encode()))


if __name__ == "__main__":
    main(sys.argv[1])
