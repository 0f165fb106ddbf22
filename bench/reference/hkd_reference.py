#!/usr/bin/python3
"""A plain PyTorch reference of the HKD recipe (Schaudt et al. 2023), for side-by-side numbers with PneuKnow.

Written for Debian's python3-torch 1.13 and python3-torchvision 0.14 (run it with /usr/bin/python3; it
needs no other package than those and the numpy and PIL they bring), on the CPU. It is a second, small
implementation of the recipe as ../shared/design/method.md (next to the repository) and issue 18
describe it, not a port of PneuKnow's code: when the two disagree on a task, that is the finding.

Data, as PneuKnow reads it (data.DatasetLoader; `pneuknow data synthetic` writes this layout):
  * DATA/labels.csv with image_id,file,class and optionally patient_id (default: the image id); `file` is
    relative to DATA (PNG, 8 or 16 bit, or JPEG; DICOM is not read here);
  * the expert's regions from DATA/regions.csv (image_id,x,y,w,h,label and optionally region_type,
    mask_file; --region-type keeps some types, as `pneuknow train --region-type lesion`), or from a
    folder of mask PNGs (--masks DIR: <image_id>.png or <image_id>_<label>.png). A region with a
    mask file uses the mask (nonzero = inside), one without uses its box (--roi-shape box: always the box);
  * the split from a split CSV (--split FILE: image_id,part as `pneuknow` writes OUT/split.csv; parts
    train/val/test and their spellings) or from a column of labels.csv (--split-column split).

Recipe, per seed (--seeds 1,2,3):
  * images resized to --size x --size (bilinear, antialiased; aspect not kept), one grey channel,
    normalised with mean 0.5 and std 0.25 (PneuKnow's defaults for one channel);
  * augmentation of the training images (--augment weak, default): rotation +-10 degrees, scale
    +-20 %, shift +-10 % of the side, black border; one draw per (seed, epoch, image), applied to the
    image (bilinear) and its region mask (nearest) alike; --augment none turns it off;
  * ROI image = augmented image x augmented mask: black outside the regions; an image of the
    no-finding class (--no-finding-class, default healthy) without regions gets the all-black image;
    a pathological image without regions has no ROI image (left out of the teacher's training and of
    the feature term), as PneuKnow's default `--unannotated exclude`;
  * networks: --arch resnet18 (torchvision's ResNet-18, first convolution taking one channel; a
    size/32 feature map) or vgg_small (four VGG blocks of two 3x3 conv + BatchNorm + ReLU and a 2x2 max
    pool, 32/64/128/256 channels: a size/16 map), random initialisation; head: global average pool,
    dropout (--dropout), linear; the feature map F is the backbone's output before pooling;
  * baseline: cross-entropy on the raw images for --epochs epochs;
    teacher: cross-entropy on the ROI images for --teacher-epochs epochs;
    student: freshly initialised, --epochs epochs on the raw images with
        alpha(e) = alpha0 * (1 - e / E_kd) for e < E_kd, else 0   (--alpha, --kd-epochs; e 0-based)
        L = alpha(e) * MSE(F_teacher(ROI image), F_student(image)) + (1 - alpha(e)) * CE
    where the frozen teacher (eval mode, no gradient) sees the ROI view of the same augmented draw
    and the MSE is the mean over the feature map's elements per image, averaged over the images
    that have an ROI image;
  * Adam (--lr, default 1e-4; no weight decay), cosine annealing stepped per epoch
    (lr0 * (1 + cos(pi e / E)) / 2), batch --batch (default 8), shuffled, the last smaller batch kept
    (but for one of a single image: BatchNorm in training mode needs two);
  * each stage keeps the epoch of lowest validation loss (mean cross-entropy on the validation
    images without augmentation; the teacher's on their ROI images);
  * the pair shares its draw: baseline and student start from the same initial weights
    (torch.manual_seed(seed) before building either), see the same batch order, augmentation and
    dropout draws; the teacher has its own.

Outputs in --out:
  * predictions-baseline.csv, predictions-hkd.csv: one row per test image and seed:
    seed,image_id,patient_id,true,predicted,p_<class>... (probabilities, softmax, summing to 1);
  * summary.json: the settings, the classes, per seed the balanced accuracy (mean recall over the
    classes present in the test images) of the baseline, the HKD student and the teacher (on the test
    images' ROI views), the kept epochs; pooled over the seeds the balanced accuracy of each, the
    difference hkd - baseline with a patient-level paired bootstrap 95 % interval (--bootstrap
    resamples of the test patients; a patient's rows of every seed travel together), and the mean
    and standard deviation over seeds.
Progress goes to standard error; the summary is also printed on standard output.

Example (a generated shortcut task; 30 epochs of the student with the feature term over 20):
  ./pneuknow data synthetic --out synthetic-shortcut --test 150
  /usr/bin/python3 bench/reference/hkd_reference.py --data synthetic-shortcut --split-column split \\
      --region-type lesion --arch resnet18 --size 128 --epochs 30 --teacher-epochs 15 --kd-epochs 20 \\
      --seeds 1,2,3 --out reference-shortcut
or with a PneuKnow run's own split: --split runs/hkd/split.csv instead of --split-column split.
"""

import argparse
import copy
import csv
import json
import math
import os
import sys
import time

PARTS = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
         "dev": "val", "test": "test", "holdout": "test"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder with labels.csv (and regions.csv) and the images")
    p.add_argument("--split", help="split CSV (image_id,part), as pneuknow writes OUT/split.csv")
    p.add_argument("--split-column", help="column of labels.csv with the part (train/val/test), instead of --split")
    p.add_argument("--regions", default="regions.csv", help="regions CSV relative to --data (default regions.csv)")
    p.add_argument("--masks", help="folder of mask PNGs <image_id>.png or <image_id>_<label>.png, instead of --regions")
    p.add_argument("--region-type", default="", help="comma-separated region types to keep (default: all)")
    p.add_argument("--roi-shape", choices=["mask", "box"], default="mask")
    p.add_argument("--no-finding-class", default="healthy")
    p.add_argument("--arch", choices=["resnet18", "vgg_small"], default="resnet18")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--epochs", type=int, default=30, help="epochs of the baseline and of the student")
    p.add_argument("--teacher-epochs", type=int, default=15)
    p.add_argument("--kd-epochs", type=int, default=20, help="E_kd: the feature term decays to 0 over these epochs")
    p.add_argument("--alpha", type=float, default=0.5, help="alpha0, the feature term's initial weight")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--augment", choices=["weak", "none"], default="weak")
    p.add_argument("--seeds", default="1", help="comma-separated seeds, e.g. 1,2,3")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples for the interval")
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--versions", action="store_true", help="print the torch/torchvision versions and exit")
    args = p.parse_args(argv)
    if not args.versions and (args.split is None) == (args.split_column is None):
        p.error("give the split as --split FILE or as --split-column COLUMN (one of them)")
    return args


def fail(message):
    raise SystemExit("hkd_reference.py: " + message)


def read_csv(path):
    if not os.path.isfile(path):
        fail(f"{path}: not found")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_data(args):
    """The labels rows (with their part) and each image's regions: a list of (box, mask file or None)."""
    root = args.data
    rows = read_csv(os.path.join(root, "labels.csv"))
    for column in ("image_id", "file", "class"):
        if rows and column not in rows[0]:
            fail(f"{root}/labels.csv: no column {column}")
    if args.split:
        parts = {}
        for n, r in enumerate(read_csv(args.split), start=2):
            part = PARTS.get(r.get("part", "").strip().lower())
            if part is None:
                fail(f"{args.split} row {n}: part '{r.get('part')}' is not train, val or test")
            parts[r["image_id"]] = part
    else:
        parts = {}
        for n, r in enumerate(rows, start=2):
            part = PARTS.get(r.get(args.split_column, "").strip().lower())
            if part is None:
                fail(f"labels.csv row {n}: '{r.get(args.split_column)}' in column {args.split_column} is not a part")
            parts[r["image_id"]] = part
    for r in rows:
        if r["image_id"] not in parts:
            fail(f"image {r['image_id']} has no part in the split")
        r["part"] = parts[r["image_id"]]
        r["patient_id"] = r.get("patient_id") or r["image_id"]
    ids = {r["image_id"] for r in rows}
    types = {t for t in args.region_type.split(",") if t}
    regions = {}
    if args.masks:
        stems = sorted(ids, key=len, reverse=True)
        for name in sorted(os.listdir(args.masks)):
            if not name.lower().endswith(".png"):
                continue
            stem = name[:-4]
            image_id = next((i for i in stems if stem == i or stem.startswith(i + "_")), None)
            if image_id is None:
                fail(f"{args.masks}/{name}: no image id of labels.csv matches this name")
            regions.setdefault(image_id, []).append((None, os.path.join(args.masks, name)))
    else:
        path = os.path.join(root, args.regions)
        if os.path.exists(path):
            for r in read_csv(path):
                if types and (r.get("region_type") or "lesion") not in types:
                    continue
                if r["image_id"] not in ids:
                    continue
                box = tuple(int(float(r[k])) for k in ("x", "y", "w", "h"))
                mask = r.get("mask_file") or None
                regions.setdefault(r["image_id"], []).append((box, os.path.join(root, mask) if mask else None))
    return rows, regions


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
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    rows, regions = load_data(args)
    classes = sorted({r["class"] for r in rows})
    size = args.size

    def read_grey(path):
        img = Image.open(path)
        if img.mode in ("I;16", "I;16B", "I"):
            arr = np.asarray(img, dtype=np.float32) / 65535.0
        else:
            arr = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
        return torch.from_numpy(arr.copy()).unsqueeze(0)  # 1 x H x W

    def roi_mask(image_id, height, width):
        """The union of the image's regions at the stored size (1 inside); None without regions."""
        if image_id not in regions:
            return None
        mask = torch.zeros(1, height, width)
        for box, mask_file in regions[image_id]:
            if mask_file is not None and (args.roi_shape == "mask" or box is None):
                m = read_grey(mask_file)
                if m.shape[-2:] != (height, width):
                    fail(f"{mask_file}: {m.shape[-1]}x{m.shape[-2]} but its image is {width}x{height}")
                mask = torch.maximum(mask, (m > 0).float())
            else:
                x, y, w, h = box
                mask[:, max(0, y):max(0, y + h), max(0, x):max(0, x + w)] = 1
        return mask

    class Prepared:
        """One image, decoded and resized once, with its ROI mask (None: no ROI image)."""

        def __init__(self, index, row):
            self.index = index
            self.row = row
            self.label = classes.index(row["class"])
            image = read_grey(os.path.join(args.data, row["file"]))
            mask = roi_mask(row["image_id"], image.shape[-2], image.shape[-1])
            if image.shape[-2:] != (size, size):
                image = TF.resize(image, [size, size], antialias=True).clamp_(0, 1)
                if mask is not None:
                    mask = (TF.resize(mask, [size, size], antialias=True) >= 0.5).float()
            if mask is None and row["class"] == args.no_finding_class:
                mask = torch.zeros_like(image)
            self.image = image
            self.mask = mask

    prepared = [Prepared(i, r) for i, r in enumerate(rows)]
    by_part = {p: [s for s in prepared if s.row["part"] == p] for p in ("train", "val", "test")}
    for p in ("train", "val", "test"):
        if not by_part[p]:
            fail(f"no {p} images in the split")
    normalize = T.Normalize(mean=[0.5], std=[0.25])

    def view(sample, seed, epoch, augment):
        """(image, ROI image or None) of one draw: the same geometry for image and mask."""
        image, mask = sample.image, sample.mask
        if augment and args.augment == "weak":
            g = np.random.default_rng([seed, epoch, sample.index])
            angle = float(g.uniform(-10, 10))
            scale = float(g.uniform(0.8, 1.2))
            shift = [int(round(g.uniform(-0.1, 0.1) * size)), int(round(g.uniform(-0.1, 0.1) * size))]
            image = TF.affine(image, angle, shift, scale, [0.0, 0.0], interpolation=T.InterpolationMode.BILINEAR,
                              fill=0.0)
            if mask is not None:
                mask = TF.affine(mask, angle, shift, scale, [0.0, 0.0], interpolation=T.InterpolationMode.NEAREST,
                                 fill=0.0)
        roi = None if mask is None else normalize(image * mask)
        return normalize(image), roi

    def batch_of(samples, seed, epoch, augment, want_roi):
        xs, rois, has_roi, labels = [], [], [], []
        for s in samples:
            x, roi = view(s, seed, epoch, augment)
            xs.append(x)
            labels.append(s.label)
            if want_roi:
                has_roi.append(roi is not None)
                rois.append(roi if roi is not None else normalize(torch.zeros_like(s.image)))
        return (torch.stack(xs), torch.stack(rois) if want_roi else None,
                torch.tensor(has_roi, dtype=torch.float32) if want_roi else None, torch.tensor(labels))

    class Net(nn.Module):
        def __init__(self, features, channels):
            super().__init__()
            self.features = features
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Dropout(args.dropout),
                                      nn.Linear(channels, len(classes)))

        def forward(self, x):
            f = self.features(x)
            return self.head(f), f

    def build():
        if args.arch == "resnet18":
            m = torchvision.models.resnet18(num_classes=len(classes))
            m.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
            return Net(nn.Sequential(*list(m.children())[:-2]), 512)
        layers, c_in = [], 1
        for c in (32, 64, 128, 256):
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            c_in = c
        return Net(nn.Sequential(*layers), 256)

    def mix(*parts):
        return int(np.random.default_rng(list(parts)).integers(0, 2 ** 62))

    def evaluate(net, samples, roi):
        """Mean cross-entropy, probabilities (N x K) and labels on the samples, without augmentation."""
        net.eval()
        probs, labels, loss = [], [], 0.0
        with torch.no_grad():
            for i in range(0, len(samples), 64):
                part = samples[i:i + 64]
                x, r, _, y = batch_of(part, 0, 0, False, roi)
                logits, _ = net(r if roi else x)
                loss += F.cross_entropy(logits, y, reduction="sum").item()
                probs.append(F.softmax(logits, dim=1))
                labels.append(y)
        return loss / len(samples), torch.cat(probs).numpy().astype(np.float64), torch.cat(labels).numpy()

    def train_stage(name, net, train, val, seed, draw, epochs, roi=False, teacher=None):
        """Trains net; returns it with the weights of the epoch of lowest validation loss, and that epoch."""
        optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
        best, best_loss, best_state = -1, math.inf, None
        for epoch in range(epochs):
            lr = args.lr * (1 + math.cos(math.pi * epoch / epochs)) / 2
            for group in optimizer.param_groups:
                group["lr"] = lr
            alpha = 0.0
            if teacher is not None and epoch < args.kd_epochs and args.kd_epochs > 0:
                alpha = args.alpha * (1 - epoch / args.kd_epochs)
            order = np.random.default_rng([seed, draw, epoch, 1]).permutation(len(train))
            torch.manual_seed(mix(seed, draw, epoch, 7))  # dropout
            net.train()
            start, total, batches = time.time(), 0.0, 0
            for b in range(0, len(order), args.batch):
                part = [train[i] for i in order[b:b + args.batch]]
                if len(part) == 1 and b > 0:
                    break  # BatchNorm in training mode needs two images
                x, r, has_roi, y = batch_of(part, seed, epoch, True, roi or alpha > 0)
                logits, features = net(r if roi else x)
                loss = F.cross_entropy(logits, y)
                if alpha > 0:
                    with torch.no_grad():
                        _, target = teacher(r)
                    per_image = (features - target).pow(2).flatten(1).mean(1)
                    feature = (per_image * has_roi).sum() / has_roi.sum().clamp(min=1)
                    loss = alpha * feature + (1 - alpha) * loss
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.item()
                batches += 1
            val_loss, _, _ = evaluate(net, val, roi)
            if val_loss < best_loss:
                best, best_loss, best_state = epoch, val_loss, copy.deepcopy(net.state_dict())
            print(f"seed {seed} {name} epoch {epoch}: lr {lr:.2e} alpha {alpha:.3f} train loss {total / batches:.4f}"
                  f" val loss {val_loss:.4f}{' *' if best == epoch else ''} ({time.time() - start:.1f} s)",
                  file=sys.stderr, flush=True)
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        return best

    def balanced_accuracy(truth, predicted, weights=None):
        weights = np.ones(len(truth)) if weights is None else weights
        recalls = []
        for c in range(len(classes)):
            in_class = (truth == c) & (weights > 0)
            if in_class.any():
                recalls.append((weights * in_class * (predicted == c)).sum() / (weights * in_class).sum())
        return float(np.mean(recalls))

    os.makedirs(args.out, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    train, val, test = by_part["train"], by_part["val"], by_part["test"]
    teacher_train = [s for s in train if s.mask is not None]
    teacher_val = [s for s in val if s.mask is not None]
    teacher_test = [s for s in test if s.mask is not None]
    if not teacher_train or not teacher_val or not teacher_test:
        fail("no training, validation or test image has an ROI image (regions, or the no-finding class)")
    predictions = {"baseline": [], "hkd": []}
    per_seed = []
    for seed in seeds:
        torch.manual_seed(mix(seed, 0, 99))
        baseline = build()
        baseline_epoch = train_stage("baseline", baseline, train, val, seed, 0, args.epochs)
        torch.manual_seed(mix(seed, 1, 99))
        teacher = build()
        teacher_epoch = train_stage("teacher", teacher, teacher_train, teacher_val, seed, 1, args.teacher_epochs,
                                    roi=True)
        for p in teacher.parameters():
            p.requires_grad_(False)
        torch.manual_seed(mix(seed, 0, 99))  # the baseline's initial weights
        student = build()
        student_epoch = train_stage("student", student, train, val, seed, 0, args.epochs, teacher=teacher)
        result = {"seed": seed, "baseline_epoch": baseline_epoch, "teacher_epoch": teacher_epoch,
                  "student_epoch": student_epoch}
        for method, net in (("baseline", baseline), ("hkd", student)):
            _, probs, truth = evaluate(net, test, False)
            predicted = probs.argmax(1)
            result[method] = balanced_accuracy(truth, predicted)
            for s, p, t, k in zip(test, probs, truth, predicted):
                predictions[method].append((seed, s.row["image_id"], s.row["patient_id"], classes[t], classes[k], p))
        _, probs, truth = evaluate(teacher, teacher_test, True)  # not empty: checked above
        result["teacher"] = balanced_accuracy(truth, probs.argmax(1))
        result["difference"] = result["hkd"] - result["baseline"]
        per_seed.append(result)
        print(f"seed {seed}: balanced accuracy baseline {result['baseline']:.3f}, HKD {result['hkd']:.3f}, "
              f"teacher (ROI) {result['teacher']:.3f}", file=sys.stderr, flush=True)

    for method, rows_out in predictions.items():
        with open(os.path.join(args.out, f"predictions-{method}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["seed", "image_id", "patient_id", "true", "predicted"] + [f"p_{c}" for c in classes])
            for seed, image_id, patient, true, predicted, p in rows_out:
                w.writerow([seed, image_id, patient, true, predicted] + [repr(float(v)) for v in p])

    # pooled over seeds, with a patient-level paired bootstrap (a patient's rows of every seed together)
    truth = np.array([classes.index(r[3]) for r in predictions["baseline"]])
    pred_base = np.array([classes.index(r[4]) for r in predictions["baseline"]])
    pred_hkd = np.array([classes.index(r[4]) for r in predictions["hkd"]])
    patients = sorted({r[2] for r in predictions["baseline"]})
    patient_index = {p: i for i, p in enumerate(patients)}
    row_patient = np.array([patient_index[r[2]] for r in predictions["baseline"]])
    pooled_base = balanced_accuracy(truth, pred_base)
    pooled_hkd = balanced_accuracy(truth, pred_hkd)
    rng = np.random.default_rng(0)
    differences = []
    for _ in range(args.bootstrap):
        counts = np.bincount(rng.integers(0, len(patients), len(patients)), minlength=len(patients))
        weights = counts[row_patient].astype(np.float64)
        differences.append(balanced_accuracy(truth, pred_hkd, weights) - balanced_accuracy(truth, pred_base, weights))
    low, high = (np.percentile(differences, [2.5, 97.5]).tolist() if differences else [float("nan")] * 2)

    def spread(key):
        values = [r[key] for r in per_seed]
        return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0}

    summary = {
        "script": "bench/reference/hkd_reference.py",
        "settings": {k: v for k, v in vars(args).items() if k != "versions"},
        "classes": classes,
        "images": {p: len(by_part[p]) for p in ("train", "val", "test")},
        "teacher_images": {"train": len(teacher_train), "val": len(teacher_val), "test": len(teacher_test)},
        "per_seed": per_seed,
        "pooled": {"baseline": pooled_base, "hkd": pooled_hkd, "difference": pooled_hkd - pooled_base,
                   "ci95": [low, high], "bootstrap": args.bootstrap, "patients": len(patients)},
        "over_seeds": {"baseline": spread("baseline"), "hkd": spread("hkd"), "teacher": spread("teacher")},
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary["pooled"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
