class Handler:
    def handle_async(self, payload):
        return {}
