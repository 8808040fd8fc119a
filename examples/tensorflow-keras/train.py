"""Trains the example's classifier deterministically and saves it twice.

- model.keras: the Keras file, for the python handler (keras.models.load_model);
- saved_model/1/: a SavedModel with the signature "predict" (features float32 [None, 4] ->
  probabilities, class_id, label), for the tensorflow handler type.

Run it once in the API's environment before serving (`python train.py`). The data comes from
machines.py (numpy, seed 0): nothing is downloaded.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

import keras  # noqa: E402 - after the log level
import tensorflow as tf  # noqa: E402

from machines import CLASSES, FEATURES, make_dataset  # noqa: E402

SEED = 0


def build_model(x):
    """A normalisation layer adapted to x, one hidden layer, a softmax over the states."""
    normalize = keras.layers.Normalization(name="normalize")
    normalize.adapt(x)
    inputs = keras.Input(shape=(len(FEATURES),), name="features")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(normalize(inputs))
    outputs = keras.layers.Dense(len(CLASSES), activation="softmax", name="probabilities")(hidden)
    model = keras.Model(inputs, outputs, name="machine_state")
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def export_saved_model(model, path):
    """Write a SavedModel whose signature "predict" returns named outputs, labels included."""
    labels = tf.constant(CLASSES)

    def predict(features):
        probabilities = model(features, training=False)
        class_id = tf.argmax(probabilities, axis=1)
        return {"probabilities": probabilities, "class_id": class_id, "label": tf.gather(labels, class_id)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name="predict",
        fn=predict,
        input_signature=[tf.TensorSpec([None, len(FEATURES)], tf.float32, name="features")],
    )
    archive.write_out(path, verbose=False)


if __name__ == "__main__":
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x, y = make_dataset(200, seed=SEED)
    model = build_model(x)
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    model.save("model.keras")
    export_saved_model(model, os.path.join("saved_model", "1"))
    x_test, y_test = make_dataset(50, seed=1)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"model.keras and saved_model/1 written; accuracy on new rows (seed 1): {accuracy:.3f}")
