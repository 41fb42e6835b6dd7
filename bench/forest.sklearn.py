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
        aucs, fits, scores = [], [], []
        for seed in range(seeds):
            t0 = time.perf_counter()
            model = IsolationForest(n_estimators=100, max_samples=256, random_state=seed, n_jobs=1).fit(X)
            t1 = time.perf_counter()
            s = -model.score_samples(X)
            t2 = time.perf_counter()
            aucs.append(roc_auc_score(y, s))
            fits.append(t1 - t0)
            scores.append(t2 - t1)
        print(json.dumps({"name": name, "version": sklearn.__version__, "auc": aucs, "fit": fits, "score": scores}), flush=True)


main()
