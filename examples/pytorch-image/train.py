"""Trains the example's CNN on a synthetic data set of shapes and saves it twice.

Run it once in the API's environment before serving (`python train.py`, a few seconds on a CPU).
It writes model.pt (a state_dict and the class names, for `model_format: state_dict`) and
model.torchscript.pt (the same weights as TorchScript, for `model_format: torchscript`).
Everything is seeded, and nothing is downloaded.
"""

import torch
from torch import nn

from model import ShapeNet, image_to_tensor
from shapes import CLASSES, dataset


def tensors(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The data set as an (N, 1, 28, 28) batch, through the same transform the handler uses, and its labels."""
    images, labels = dataset(count, seed)
    return torch.cat([image_to_tensor(image) for image in images]), torch.tensor(labels)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.inference_mode():
        return (model(x).argmax(dim=1) == y).float().mean().item()


if __name__ == "__main__":
    torch.manual_seed(0)
    x, y = tensors(2400, seed=0)
    x_test, y_test = tensors(400, seed=1)
    model = ShapeNet(CLASSES)
    epochs, batch_size = 10, 64
    optimizer = torch.optim.Adam(model.parameters())
    steps = epochs * -(-len(x) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=steps)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(x)).split(batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
            schedule.step()
    model.eval()
    torch.save({"classes": CLASSES, "state_dict": model.state_dict()}, "model.pt")
    torch.jit.script(model).save("model.torchscript.pt")
    print(
        "model.pt and model.torchscript.pt written; "
        f"accuracy {accuracy(model, x, y):.3f} on the training set, {accuracy(model, x_test, y_test):.3f} held out"
    )
