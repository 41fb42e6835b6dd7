# Owns the scikit-learn side of "Why mammography differs" (docs/benchmarks.md): scikit-learn's
# IsolationForest over seeds 0..N-1, each fitted forest scored twice: with scikit-learn's own
# c(n) = 2 (ln(n-1) + 0.5772156649) - 2 (n-1)/n ("sklearn") and with PathHelm's exact harmonic c(n)
# ("exact", patched into sklearn.ensemble._iforest._average_path_length for the second scoring only).
# Same trees, so the change is the c(n) formula's own effect. Prints mean ± sd, seeds 0..4 mean, and
# the extreme 5-seed block means (seeds 0..4, 5..9, ...).
# Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/forest-variants.sklearn.py SEEDS name1 name2 ...
import os
import sys

import numpy as np
import sklearn.ensemble._iforest as iforest
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/datasets/odds")
SKLEARN_C = iforest._average_path_length
EXACT = np.zeros(257)  # psi = 256: no leaf holds more than 256 rows
EXACT[2] = 1.0
for n in range(3, 257):
    EXACT[n] = 2.0 * sum(1.0 / k for k in range(n - 1, 0, -1)) - 2.0 * (n - 1) / n


def exact_c(n_samples_leaf):
    return EXACT[np.asarray(n_samples_leaf).astype(np.int64)]


def summary(name, variant, a):
    a = np.array(a)
    blocks = [a[i:i + 5].mean() for i in range(0, len(a) - len(a) % 5, 5)]
    print(f"{name} sklearn {variant}: {a.mean():.4f} ± {a.std(ddof=1):.4f} over seeds 0..{len(a) - 1}; "
          f"seeds 0..4 {a[:5].mean():.4f}; 5-seed block means {min(blocks):.4f}..{max(blocks):.4f}", flush=True)


def main():
    seeds, names = int(sys.argv[1]), sys.argv[2:]
    for name in names:
        data = np.loadtxt(f"{DATA_DIR}/{name}.csv", delimiter=",", skiprows=1)
        X, y = data[:, :-1], data[:, -1]
        own, exact = [], []
        for seed in range(seeds):
            model = IsolationForest(n_estimators=100, max_samples=256, random_state=seed, n_jobs=1).fit(X)
            own.append(roc_auc_score(y, -model.score_samples(X)))
            iforest._average_path_length = exact_c
            try:
                exact.append(roc_auc_score(y, -model.score_samples(X)))
            finally:
                iforest._average_path_length = SKLEARN_C
        summary(name, "c(n) sklearn", own)
        summary(name, "c(n) exact", exact)


main()
