# Owns the scikit-learn side of `npm run bench:forest`: same protocol, run by bench/forest.mjs when
# /usr/bin/python3 has scikit-learn. Prints one JSON object per data set on stdout.
# Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/forest.sklearn.py DIR SEEDS name1 name2 ...
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def main():
    directory, seeds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    for name in names:
        data = np.loadtxt(f"{directory}/{name}.csv", delimiter=",", skiprows=1)
        X, y = data[:, :-1], data[:, -1]
        aucs, fits, scores, fit_cpu, score_cpu = [], [], [], [], []
        for seed in range(seeds):
            c0, t0 = time.process_time(), time.perf_counter()
            model = IsolationForest(n_estimators=100, max_samples=256, random_state=seed, n_jobs=1).fit(X)
            c1, t1 = time.process_time(), time.perf_counter()
            s = -model.score_samples(X)
            c2, t2 = time.process_time(), time.perf_counter()
            aucs.append(roc_auc_score(y, s))
            fits.append(t1 - t0)
            scores.append(t2 - t1)
            fit_cpu.append(c1 - c0)
            score_cpu.append(c2 - c1)
        print(json.dumps({"name": name, "version": sklearn.__version__, "auc": aucs, "fit": fits, "score": scores,
                          "fitCpu": fit_cpu, "scoreCpu": score_cpu}), flush=True)


main()
