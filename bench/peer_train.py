#!/usr/bin/python3
"""The peer of `pneuknow bench`: the plain PyTorch training script a PyTorch user would write for the
same task, timed. Written for Debian's python3-torch 1.13 and python3-torchvision 0.14 (/usr/bin/python3).

It was written before any performance tuning of PneuKnow and is not to be tuned against it afterwards
(issue 7): it is what a user would otherwise run, not a second implementation to race.

What it does, per epoch over the `split == train` rows of a PneuKnow data folder (labels.csv with
image_id,file,class,...,split and regions.csv with image_id,...,region_type,...,mask_file, as
`pneuknow data synthetic` / data.SyntheticChestXrays write them):

  * a torch Dataset reads each PNG from disk on every access (PIL), converts it to a float tensor in
    [0, 1], resizes it to --size if needed (antialiased bilinear, i.e. area-like when shrinking) and
    applies the "weak" augmentation of the reference (albumentations ShiftScaleRotate(shift_limit=0.1,
    scale_limit=0.5, rotate_limit=10), border 0, always applied) with torchvision: one draw of
    RandomAffine.get_params(degrees=10, translate=(0.1, 0.1), scale=(0.5, 1.5)) applied by
    torchvision.transforms.functional.affine to the image (bilinear) and, in HKD mode, to the region
    mask (nearest); ROI image = augmented image x augmented mask; then Normalize(mean 0.5, std 0.25),
    one grey channel (PneuKnow's defaults for 1-channel input);
  * a DataLoader with --workers worker processes (at least 1), batch 16, shuffled, persistent
    workers, drop_last;
  * the torchvision model (resnet18, resnet50, convnext_tiny; anything torchvision.models has with a
    `num_classes` argument) with its first convolution replaced by a 1-input-channel one, so that it
    does the same multiply-adds as PneuKnow's 1-channel networks (replicating grey to 3 channels
    would add work to the first layer only); ConvNeXt with stochastic_depth_prob=0 and no dropout
    anywhere, as PneuKnow's `train` builds them;
  * Adam (lr 1e-4), cross-entropy, torch.set_num_threads(--threads) (DataLoader workers use 1 thread
    each, torch's default for workers).

`--mode hkd` times the HKD student step instead: the frozen teacher (the same architecture, eval mode,
under torch.no_grad()) computes the last feature map of the ROI image, and the student, in one
forward pass, gives its feature map and logits; loss = 0.5 * MSE(features) + 0.5 * CE. Every sample
has an ROI view (images without a region mask get an all-black one, as PneuKnow's no-finding class).

Known differences from PneuKnow's augmentation (documented in docs/benchmarks.md): torchvision rounds
the translation to whole pixels and rotates clockwise for a positive angle (the angle is drawn
symmetrically, so the distribution is the same); the warp is done by grid_sample on the tensor
instead of OpenCV warpAffine; PneuKnow's optional horizontal flip is off in both.

Timing: --warmup-epochs epochs untimed (worker start-up, allocator warm-up), then --epochs timed
epochs; for each, the wall time, images/s and the time the training loop waited for the DataLoader.
Prints one JSON object on stdout.
"""

import argparse
import csv
import json
import os
import resource
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="folder with labels.csv, regions.csv and the images")
    p.add_argument("--model", default="resnet18")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--num-classes", type=int, default=5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--warmup-epochs", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--mode", choices=["baseline", "hkd"], default="baseline")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--versions", action="store_true", help="print the torch/torchvision versions and exit")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision
    import torchvision.transforms as T
    import torchvision.transforms.functional as TF
    from PIL import Image

    if args.versions:
        print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__}))
        return 0
    if args.workers < 1:
        raise SystemExit("--workers must be at least 1")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    root = args.data
    with open(os.path.join(root, "labels.csv"), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("split", "train") == "train"]
    masks = {}
    regions_file = os.path.join(root, "regions.csv")
    if os.path.exists(regions_file):
        with open(regions_file, newline="") as f:
            for r in csv.DictReader(f):
                if r.get("region_type") == "lesion" and r.get("mask_file"):
                    masks[r["image_id"]] = r["mask_file"]
    classes = sorted({r["class"] for r in rows})
    if len(classes) > args.num_classes:
        raise SystemExit(f"{len(classes)} classes in the data but --num-classes {args.num_classes}")
    hkd = args.mode == "hkd"

    def read_grey(path):
        img = Image.open(path)
        if img.mode == "I;16":
            arr = np.asarray(img, dtype=np.float32) / 65535.0
        else:
            arr = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
        return torch.from_numpy(arr).unsqueeze(0)  # 1 x H x W

    class ChestXrays(torch.utils.data.Dataset):
        def __init__(self, rows):
            self.rows = rows
            self.normalize = T.Normalize(mean=[0.5], std=[0.25])

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, i):
            r = self.rows[i]
            image = read_grey(os.path.join(root, r["file"]))
            if image.shape[-1] != args.size or image.shape[-2] != args.size:
                image = TF.resize(image, [args.size, args.size], antialias=True).clamp_(0, 1)
            angle, translate, scale, shear = T.RandomAffine.get_params(
                [-10.0, 10.0], [0.1, 0.1], [0.5, 1.5], None, [args.size, args.size])
            image_aug = TF.affine(image, angle, translate, scale, shear,
                                  interpolation=T.InterpolationMode.BILINEAR, fill=0.0)
            label = classes.index(r["class"])
            if not hkd:
                return self.normalize(image_aug), label
            mask_file = masks.get(r["image_id"])
            if mask_file is not None:
                mask = (read_grey(os.path.join(root, mask_file)) > 0).float()
                if mask.shape[-1] != args.size or mask.shape[-2] != args.size:
                    mask = (TF.resize(mask, [args.size, args.size], antialias=True) >= 0.5).float()
                mask = TF.affine(mask, angle, translate, scale, shear,
                                 interpolation=T.InterpolationMode.NEAREST, fill=0.0)
            else:
                mask = torch.zeros_like(image)
            roi = image_aug * mask
            return self.normalize(image_aug), self.normalize(roi), label

    def build(name):
        model = getattr(torchvision.models, name)(num_classes=args.num_classes,
                                                   **({"stochastic_depth_prob": 0.0} if name.startswith("convnext") else {}))
        if name.startswith("resnet"):
            old = model.conv1
            model.conv1 = nn.Conv2d(1, old.out_channels, old.kernel_size, old.stride, old.padding, bias=False)
            features = nn.Sequential(*list(model.children())[:-2])
            head = nn.Sequential(model.avgpool, nn.Flatten(1), model.fc)
        elif name.startswith("convnext"):
            old = model.features[0][0]
            model.features[0][0] = nn.Conv2d(1, old.out_channels, old.kernel_size, old.stride, old.padding,
                                             bias=old.bias is not None)
            features = model.features
            head = nn.Sequential(model.avgpool, model.classifier)
        else:
            raise SystemExit(f"model {name} is not supported by this script (resnet*, convnext*)")

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = features
                self.head = head

            def forward(self, x):
                f = self.features(x)
                return self.head(f), f

        return Net()

    student = build(args.model)
    student.train()
    optimizer = torch.optim.Adam(student.parameters(), lr=args.lr)
    teacher = None
    if hkd:
        teacher = build(args.model)
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)

    loader = torch.utils.data.DataLoader(ChestXrays(rows), batch_size=args.batch, shuffle=True,
                                         num_workers=args.workers, persistent_workers=True, drop_last=True)
    if len(loader) == 0:
        raise SystemExit(f"{len(rows)} training images, fewer than one batch of {args.batch}")

    def epoch():
        waited = 0.0
        images = 0
        start = time.perf_counter()
        it = iter(loader)
        while True:
            t0 = time.perf_counter()
            try:
                batch = next(it)
            except StopIteration:
                break
            waited += time.perf_counter() - t0
            optimizer.zero_grad(set_to_none=True)
            if hkd:
                x, roi, y = batch
                with torch.no_grad():
                    _, teacher_features = teacher(roi)
                logits, features = student(x)
                loss = args.alpha * F.mse_loss(features, teacher_features) \
                    + (1 - args.alpha) * F.cross_entropy(logits, y)
            else:
                x, y = batch
                logits, _ = student(x)
                loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            images += x.shape[0]
            loss.item()
        return time.perf_counter() - start, waited, images

    for _ in range(args.warmup_epochs):
        epoch()
    seconds, waits, rates = [], [], []
    images = 0
    for _ in range(args.epochs):
        s, w, n = epoch()
        seconds.append(s)
        waits.append(w / s)
        rates.append(n / s)
        images = n
    # stop the workers, so that their peak memory shows in RUSAGE_CHILDREN
    iterator = getattr(loader, "_iterator", None)
    if iterator is not None and hasattr(iterator, "_shutdown_workers"):
        iterator._shutdown_workers()
    rates_sorted = sorted(rates)
    median = rates_sorted[len(rates_sorted) // 2] if len(rates_sorted) % 2 else \
        0.5 * (rates_sorted[len(rates_sorted) // 2 - 1] + rates_sorted[len(rates_sorted) // 2])
    print(json.dumps({
        "peer": "bench/peer_train.py",
        "model": args.model,
        "mode": args.mode,
        "size": args.size,
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "workers": args.workers,
        "num_classes": args.num_classes,
        "images_per_epoch": images,
        "epoch_seconds": seconds,
        "images_per_s": rates,
        "median_images_per_s": median,
        "data_wait_share": waits,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "max_rss_children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
