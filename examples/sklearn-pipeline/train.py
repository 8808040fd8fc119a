"""Trains the example's pipeline on the wine data set that ships with scikit-learn, and saves it.

Run it once in the API's environment before serving (`python train.py`); it writes model.joblib.
"""

import joblib
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

if __name__ == "__main__":
    data = load_wine()
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    pipeline.fit(data.data, data.target)
    joblib.dump({"pipeline": pipeline, "classes": list(data.target_names)}, "model.joblib")
    print(f"model.joblib written; training accuracy {pipeline.score(data.data, data.target):.3f}")
