#!/usr/bin/python3
"""TorchScript backbones and their reference outputs for PneuKnow's TorchScript tests (TorchScriptBackboneTest).

Writes into OUT_DIR what a user would bring, made the way README tells them to:

  * resnet18-scripted.pt      torch.jit.script of torchvision's resnet18 without avgpool and fc
                              (nn.Sequential(*list(model.children())[:-2])), random weights with gains,
                              biases and BatchNorm statistics randomised as in torchvision_reference.py,
  * resnet18-traced-train.pt  the same backbone traced with torch.jit.trace in train mode,
  * tiny-scripted.pt          a tiny 1-channel backbone (5 x conv3x3/2-BN-ReLU, widths 8..32, stride 32)
                              for the command-line test, scripted,
  * state-dict.pt             the tiny backbone's state_dict written by torch.save (a zip file, not TorchScript),
  * pooled-scripted.pt        the tiny backbone followed by global pooling and flattening, scripted:
                              returns (N, 32), not a feature map,
  * reference.safetensors     input          a random batch (batch, 3, size, size),
                              scripted.eval  the scripted backbone's features in eval mode,
                              scripted.train its features in train mode (batch statistics),
                              traced.eval    the traced backbone's features with the module in eval mode
                                             (still batch statistics: tracing fixed BatchNorm in training mode),
                              with the torch version in __metadata__.

Usage: /usr/bin/python3 torchscript_backbone.py [--size 64] [--batch 2] [--seed 0] OUT_DIR
       /usr/bin/python3 torchscript_backbone.py --versions
"""
import argparse
import copy
import os
import sys

import torch
import torchvision
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_reference import randomise, write_safetensors  # noqa: E402


def tiny_backbone():
    layers = []
    widths = [1, 8, 16, 16, 32, 32]
    for i in range(5):
        layers += [nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1, bias=False),
                   nn.BatchNorm2d(widths[i + 1]), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", action="store_true", help="print the torch and torchvision versions and exit")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("out_dir", nargs="?")
    args = parser.parse_args()
    if args.versions:
        print(torch.__version__, torchvision.__version__)
        return
    if not args.out_dir:
        parser.error("OUT_DIR is required")
    os.makedirs(args.out_dir, exist_ok=True)
    out = lambda name: os.path.join(args.out_dir, name)  # noqa: E731

    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed + 1)
    model = torchvision.models.resnet18(weights=None)
    randomise(model, generator, args.size)
    backbone = nn.Sequential(*list(model.children())[:-2])
    x = torch.randn((args.batch, 3, args.size, args.size), generator=generator)

    scripted = torch.jit.script(copy.deepcopy(backbone))
    scripted.save(out("resnet18-scripted.pt"))
    with torch.no_grad():
        scripted_eval = copy.deepcopy(backbone).eval()(x)
        scripted_train = copy.deepcopy(backbone).train()(x)

    traced = torch.jit.trace(copy.deepcopy(backbone).train(), x)
    traced.save(out("resnet18-traced-train.pt"))
    with torch.no_grad():
        traced_eval = torch.jit.load(out("resnet18-traced-train.pt")).eval()(x)

    tiny = tiny_backbone()  # torch's own initialisation
    torch.jit.script(tiny).save(out("tiny-scripted.pt"))
    torch.save(tiny.state_dict(), out("state-dict.pt"))
    torch.jit.script(nn.Sequential(tiny, nn.AdaptiveAvgPool2d(1), nn.Flatten())).save(out("pooled-scripted.pt"))

    write_safetensors(out("reference.safetensors"), {
        "input": x, "scripted.eval": scripted_eval, "scripted.train": scripted_train, "traced.eval": traced_eval,
    }, {"torch": torch.__version__, "torchvision": torchvision.__version__, "seed": args.seed})
    print(args.out_dir, flush=True)


if __name__ == "__main__":
    main()
