import csv

from sklearn.linear_model import LogisticRegression

from cortex_internal.lib.log import logger as log

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def load(path):
    """Reads iris.csv: a header (count, features, class names), then rows of 4 floats and a label."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    labels = rows[0][2:]
    x = [[float(v) for v in row[:4]] for row in rows[1:]]
    y = [int(row[4]) for row in rows[1:]]
    return x, y, labels


class Handler:
    def __init__(self, config):
        x, y, self.labels = load(config["data"])
        self.model = LogisticRegression(max_iter=int(config.get("max_iter", 500))).fit(x, y)
        log.info("model trained", extra={"samples": len(x), "accuracy": self.model.score(x, y)})

    def handle_async(self, payload):
        """payload: {"sepal_length": 5.1, ...} or a list of such objects."""
        samples = payload if isinstance(payload, list) else [payload]
        try:
            x = [[float(sample[name]) for name in FEATURES] for sample in samples]
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"each sample needs the numbers {', '.join(FEATURES)}: {err}") from err
        predictions = [self.labels[i] for i in self.model.predict(x)]
        return {"predictions": predictions}
