"""Trains a gradient-boosted regressor on the diabetes data set that ships with scikit-learn.

Run it once in the API's environment before serving (`python train.py`); it writes model.json, the
booster in XGBoost's JSON format, which keeps the feature names (age, sex, bmi, bp, s1 … s6).
"""

import xgboost
from sklearn.datasets import load_diabetes

if __name__ == "__main__":
    # The raw measurements (age in years, sex 1 or 2, bmi, …), not the centred and scaled ones.
    data = load_diabetes(scaled=False)
    train = xgboost.DMatrix(data.data, label=data.target, feature_names=list(data.feature_names))
    params = {"objective": "reg:squarederror", "max_depth": 3, "eta": 0.1, "seed": 0}
    booster = xgboost.train(params, train, num_boost_round=100)
    booster.save_model("model.json")
    rmse = booster.eval(train).split(":")[-1]
    print(f"model.json written; training RMSE {float(rmse):.1f}")
