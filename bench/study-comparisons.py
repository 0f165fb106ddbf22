#!/usr/bin/python3
"""One markdown table of the primary comparisons of several studies (their summary.json), for docs/results.md.

Usage: bench/study-comparisons.py STUDY_DIR... [--methods M1,M2,...]

Per study (named by its folder) and comparison (method - reference, pooled over seeds as the study's
summary.md computes it: probabilities averaged over seeds per image, patient-level paired bootstrap 95 %
interval): the cells, the mean +- sd over seeds of each side's balanced accuracy, the pooled balanced
accuracies and the difference with its interval; and per method the teacher's mean accuracy on its own
(ROI) views of the test images. Reads only what `pneuknow experiment` wrote; computes nothing new.
"""
import json
import os
import sys


def fmt(x):
    return "–" if x in (None, "NaN") or x != x else f"{x:.3f}"


def main(argv):
    only = None
    dirs = []
    i = 0
    while i < len(argv):
        if argv[i] == "--methods":
            only = argv[i + 1].split(",")
            i += 2
        else:
            dirs.append(argv[i])
            i += 1
    print("| task | method | reference | seeds | balanced accuracy per seed, reference → method (mean ± sd)"
          " | pooled reference → method | difference (95% CI) | teacher on its views |")
    print("|---|---|---|---|---|---|---|---|")
    for d in dirs:
        summary = json.load(open(os.path.join(d, "summary.json")))
        rows = {(r["architecture"], r["method"]): r for r in summary["rows"]}
        for c in summary["comparisons"]:
            if only and c["method"] not in only:
                continue
            m = rows[(c["architecture"], c["method"])]
            r = rows[(c["architecture"], c["reference"])]
            diff = c["balancedAccuracyDifference"]
            print(f"| {os.path.basename(os.path.normpath(d))} | {c['method']} | {c['reference']} | {m['cells']}"
                  f" | {fmt(r['balancedAccuracyMean'])} ± {fmt(r['balancedAccuracySd'])} → "
                  f"{fmt(m['balancedAccuracyMean'])} ± {fmt(m['balancedAccuracySd'])}"
                  f" | {fmt(c['baselineBalancedAccuracy'])} → {fmt(c['methodBalancedAccuracy'])}"
                  f" | {diff['estimate']:+.3f} ({diff['lower']:+.3f}, {diff['upper']:+.3f})"
                  f" | {fmt(m.get('teacherAccuracyMean'))} |")


if __name__ == "__main__":
    main(sys.argv[1:])
