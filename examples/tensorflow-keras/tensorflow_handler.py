"""The tensorflow handler type: glia loads the SavedModel (handler.models) and passes the client."""


class Handler:
    def __init__(self, tensorflow_client, config):
        self.client = tensorflow_client

    def handle_async(self, payload):
        """payload: {"features": [[4 numbers], ...]}, the signature's input, as JSON."""
        outputs = self.client.predict(payload)
        return {
            "predictions": outputs["label"],
            "class_ids": outputs["class_id"],
            "probabilities": outputs["probabilities"],
        }
