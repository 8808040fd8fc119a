import torch


class Handler:
    def __init__(self):
        torch.manual_seed(0)
        layers = []
        for _ in range(4):
            layers += [torch.nn.Linear(1024, 1024), torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers).eval()
        self.batch = torch.randn(64, 1024)

    def handle_async(self, payload):
        with torch.inference_mode():
            out = self.model(self.batch)
        return {"threads": torch.get_num_threads(), "sum": float(out.sum())}
