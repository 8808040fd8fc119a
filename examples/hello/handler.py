# initialization code and variables can be declared here in global scope
import json

from cortex_internal.lib.log import logger as log


class Handler:
    def __init__(self, config):
        # project files are readable by relative path: the project folder is the working directory
        with open("values.json", "r") as values_file:
            values = json.load(values_file)
        self.values = values
        self.greeting = config.get("greeting", "hello")

    def handle_async(self, payload, request_id):
        log.info("received payload", extra={"request_id": request_id, "payload_type": type(payload).__name__})
        if isinstance(payload, dict):
            seen = payload
        elif isinstance(payload, str):
            seen = payload
        else:  # bytes, for any content type other than JSON and text
            seen = {"bytes": len(payload)}
        return {"message": f"{self.greeting}, world", "received": seen, "values": self.values}
