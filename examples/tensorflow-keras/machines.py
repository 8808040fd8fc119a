"""The example's data: synthetic sensor readings of machines in three states, made from a seed.

Nothing is downloaded: every reading comes from numpy's generator, so the same seed gives the same
rows on every machine. train.py trains on seed 0; the tests score rows of another seed.
"""

import numpy as np

FEATURES = ["temperature_c", "vibration_mm_s", "pressure_bar", "current_a"]
CLASSES = ["normal", "worn", "faulty"]
# Mean and spread of each feature per state; the states overlap a little, so the model has to learn.
_CENTERS = np.array([[60.0, 2.0, 6.0, 10.0], [70.0, 4.5, 5.5, 12.0], [85.0, 7.0, 4.5, 15.0]])
_SPREAD = np.array([6.0, 1.2, 0.6, 1.5])


def make_dataset(rows_per_class, seed):
    """Return (x float32 [n, 4], y int64 [n]) with rows_per_class readings of each state, shuffled."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(CLASSES)), rows_per_class)
    x = _CENTERS[y] + rng.normal(size=(len(y), len(FEATURES))) * _SPREAD
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order].astype(np.int64)
