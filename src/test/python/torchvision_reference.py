#!/usr/bin/python3
"""Reference outputs of torchvision models for PneuKnow's parity tests (TorchvisionParityTest).

For each architecture named on the command line this builds the torchvision model with random weights
(BatchNorm running statistics, norm gains and biases and ConvNeXt layer scales randomised too; the
BatchNorm statistics are those each BatchNorm sees in an eval-mode pass over a random batch, perturbed by
10 % of a standard deviation and 0.8-1.25 x the variance, which keeps the eval-mode networks well
conditioned: torch's own float32 logits stay within ~1e-5 of its float64 ones), and
writes OUT_DIR/<arch>.safetensors holding

  * the model's state_dict under torchvision's key names (float32; num_batches_tracked as int64),
  * ref.input             a random input (batch, 3, size, size),
  * ref.eval.logits       model(input) in eval mode,
  * ref.eval.features     the last feature map in eval mode (what our backbone returns),
  * ref.train.labels      random class labels (int64),
  * ref.train.loss        cross-entropy (mean over the batch) of one forward pass in training mode, in
                          float64 (model and input converted),
  * ref.train.grad.first  its gradient with respect to the first layer's weight (float64),
  * ref.train.grad.last   its gradient with respect to the last layer's weight (float64),
  * ref.train.bn.running_mean / running_var  the first BatchNorm's running statistics after that
                          training-mode pass (float64; architectures with BatchNorm only),
  * ref.train32.loss, ref.train32.grad.first, ref.train32.grad.last  the same pass in float32,

with __metadata__ naming the architecture, the torch/torchvision versions, the first/last/BatchNorm keys,
the model's parameter count, torch's own float32-vs-float64 eval logits difference
(torch_f32_vs_f64_eval_logits), its multiply-adds per image (convolutions and linear layers, counted by
forward hooks at the input size) and how far torch's own float32 training pass is from its float64 pass
(torch_f32_vs_f64_*: ResNet-50's first-layer gradient differs by about 1e-2, so float32 gradients cannot
be compared at 1e-3 and the precise comparison is done in float64). Training mode uses dropout 0 and
stochastic depth 0. The file format (safetensors) is written by hand: 8-byte little-endian header length, a JSON header, raw little-endian
tensor bytes. Debian has no safetensors package.

Usage: /usr/bin/python3 torchvision_reference.py [--size 64] [--batch 2] [--classes 5] [--seed 0] OUT_DIR ARCH...
       /usr/bin/python3 torchvision_reference.py --versions
"""
import argparse
import copy
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

# architecture -> (constructor keyword arguments that switch off dropout / stochastic depth,
#                  function returning the last feature map, first weight key, last weight key)
ARCHITECTURES = {
    "resnet18": ({}, "resnet", "conv1.weight", "fc.weight"),
    "resnet50": ({}, "resnet", "conv1.weight", "fc.weight"),
    "convnext_tiny": ({"stochastic_depth_prob": 0.0}, "features", "features.0.0.weight", "classifier.2.weight"),
    "convnext_small": ({"stochastic_depth_prob": 0.0}, "features", "features.0.0.weight", "classifier.2.weight"),
    "efficientnet_b0": ({"stochastic_depth_prob": 0.0}, "features", "features.0.0.weight", "classifier.1.weight"),
    "efficientnet_b1": ({"stochastic_depth_prob": 0.0}, "features", "features.0.0.weight", "classifier.1.weight"),
    "densenet121": ({"drop_rate": 0.0}, "densenet", "features.conv0.weight", "classifier.weight"),
}

DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16"}


def feature_map(model, kind, x):
    if kind == "resnet":
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"):
            x = getattr(model, name)(x)
        return x
    if kind == "features":
        return model.features(x)
    if kind == "densenet":  # torchvision's DenseNet.forward applies relu after features
        return F.relu(model.features(x))
    raise ValueError(kind)


def randomise(model, generator, size):
    """Random gains, biases, layer scales and BatchNorm statistics; weights keep torchvision's random init."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.BatchNorm2d, nn.LayerNorm)):
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.2)
            elif isinstance(module, (nn.Conv2d, nn.Linear)) and module.bias is not None:
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):  # torchvision initialises 1e-6: blocks would be near identity
                p.copy_(torch.rand(p.shape, generator=generator) * 0.8 + 0.2)
        # BatchNorm statistics: those each BatchNorm sees in an eval-mode pass over a random batch (set by a
        # pre-hook just before it runs, so later ones see earlier ones' eval outputs), then perturbed relative
        # to each channel's spread. Statistics from a train-mode pass, or absolute perturbations, make the
        # eval-mode EfficientNet blow up (logits ~1e4) and torch's own float32 result 1e-2 off its float64 one.
        batch_norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]

        def calibrate(bn, inputs):
            x = inputs[0]
            bn.running_mean.copy_(x.mean((0, 2, 3)))
            bn.running_var.copy_(x.var((0, 2, 3)))
            bn.running_mean.add_(torch.randn(bn.running_mean.shape, generator=generator) * 0.1 * bn.running_var.sqrt())
            bn.running_var.mul_(torch.rand(bn.running_var.shape, generator=generator) * 0.45 + 0.8)

        if batch_norms:
            hooks = [m.register_forward_pre_hook(calibrate) for m in batch_norms]
            model.eval()
            model(torch.randn((8, 3, size, size), generator=generator))
            for h in hooks:
                h.remove()


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for data in blobs:
            f.write(data)


def reference(arch, out_dir, size, batch, classes, seed):
    kwargs, kind, first, last = ARCHITECTURES[arch]
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    model = getattr(torchvision.models, arch)(weights=None, num_classes=classes, **kwargs)
    for m in model.modules():  # efficientnet_b* fix their classifier dropout (0.2): no keyword for it
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    randomise(model, generator, size)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = torch.randn((batch, 3, size, size), generator=generator)

    # multiply-adds per image of the convolutions and linear layers, counted by hooks during the forward pass
    macs = [0]

    def count(module, inputs, output):
        per_output = (module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
                      if isinstance(module, nn.Conv2d) else module.in_features)
        macs[0] += output.numel() // output.shape[0] * per_output

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        logits = model(x)
        for h in hooks:
            h.remove()
        features = feature_map(model, kind, x)

    with torch.no_grad():  # torch's own float32 eval error: what the 1e-4 tolerance must stay well above
        wide = copy.deepcopy(model).double()(x.double())
    eval_noise = ((logits.double() - wide).abs().max() / wide.abs().max()).item()

    # training mode: one forward/backward pass in float64 (the precise comparison) and in float32
    labels = torch.randint(0, classes, (batch,), generator=generator)
    tensors = dict(state)
    tensors.update({"ref.input": x, "ref.eval.logits": logits, "ref.eval.features": features,
                    "ref.train.labels": labels})
    metadata = {
        "arch": arch, "torch": torch.__version__, "torchvision": torchvision.__version__,
        "first": first, "last": last, "seed": seed, "classes": classes,
        "parameters": sum(p.numel() for p in model.parameters()), "macs": macs[0],
        "torch_f32_vs_f64_eval_logits": "%.3e" % eval_noise,
    }
    bn_name = next((n for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)), None)
    results = {}
    for dtype, prefix in ((torch.float64, "ref.train."), (torch.float32, "ref.train32.")):
        m = copy.deepcopy(model).to(dtype)
        m.train()
        m.zero_grad()
        loss = F.cross_entropy(m(x.to(dtype)), labels)
        loss.backward()
        params = dict(m.named_parameters())
        results[dtype] = (loss.detach(), params[first].grad, params[last].grad)
        tensors[prefix + "loss"] = loss.detach().reshape(())
        tensors[prefix + "grad.first"] = params[first].grad
        tensors[prefix + "grad.last"] = params[last].grad
        if bn_name is not None and dtype == torch.float64:
            bn = m.get_submodule(bn_name)
            tensors[prefix + "bn.running_mean"] = bn.running_mean
            tensors[prefix + "bn.running_var"] = bn.running_var
            metadata["bn"] = bn_name
    # how far torch's own float32 pass is from its float64 pass: the float32 noise floor
    f32, f64 = results[torch.float32], results[torch.float64]
    metadata["torch_f32_vs_f64_loss"] = "%.3e" % (abs(f32[0].double() - f64[0]) / abs(f64[0])).item()
    for i, name in ((1, "first"), (2, "last")):
        metadata["torch_f32_vs_f64_grad_" + name] = "%.3e" % (
            (f32[i].double() - f64[i]).abs().max() / f64[i].abs().max()).item()
    path = os.path.join(out_dir, arch + ".safetensors")
    write_safetensors(path, tensors, metadata)
    return path


def main():
    if sys.byteorder != "little":
        sys.exit("safetensors are little-endian; this script writes native bytes")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", action="store_true", help="print torch and torchvision versions and exit")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("out_dir", nargs="?")
    parser.add_argument("archs", nargs="*")
    args = parser.parse_args()
    if args.versions:
        print(torch.__version__, torchvision.__version__)
        return
    if not args.out_dir or not args.archs:
        parser.error("OUT_DIR and at least one ARCH are required")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    unknown = [a for a in args.archs if a not in ARCHITECTURES]
    if unknown:
        parser.error("unknown architecture(s) %s; known: %s" % (unknown, ", ".join(ARCHITECTURES)))
    os.makedirs(args.out_dir, exist_ok=True)
    for arch in args.archs:
        print(reference(arch, args.out_dir, args.size, args.batch, args.classes, args.seed), flush=True)


if __name__ == "__main__":
    main()
