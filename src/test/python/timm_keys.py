#!/usr/bin/python3
"""Writes timm-keys.txt: the state_dict keys, dtypes and shapes of timm's resnet50, convnext_tiny,
convnext_small, efficientnet_b0 and efficientnet_b1 (1000 classes, 3 input channels), the fixture PneuKnow's timm key mapping is tested against
(KeyMappingTest). timm cannot be installed here, so the names are spelled out from timm's source:

* timm/models/resnet.py (huggingface/pytorch-image-models, commit 00c5be7656cd8aa102138d388c323a4f6181dde6):
  ResNet.__init__ registers conv1, bn1, act1, maxpool, layer1..layer4 (make_blocks: stage f'layer{i + 1}',
  a Sequential of blocks; the first block's downsample is downsample_conv = Sequential(Conv2d 1x1, norm)),
  then global_pool and fc. Bottleneck registers conv1, bn1, act1, conv2, bn2, drop_block, act2, aa, conv3,
  bn3, se, act3: the same names as torchvision's resnet50.
* timm/models/convnext.py (same repository, commit 03fa149147b1695dc7ebce06737623d39b7dd34f):
  ConvNeXt registers stem = Sequential(Conv2d 4x4/4 with bias, LayerNorm2d), stages (ConvNeXtStage:
  downsample = Sequential(norm, Conv2d 2x2/2) for stages 1..3, Identity for stage 0; blocks = Sequential of
  ConvNeXtBlock), norm_pre (Identity unless head_norm_first) and head = NormMlpClassifierHead (global_pool,
  norm, flatten, pre_logits (Identity), drop, fc). ConvNeXtBlock (conv_mlp=False for convnext_tiny/small)
  has gamma (C,) registered as a parameter of the block itself (so state_dict lists it before its
  children), conv_dw (depthwise 7x7 with bias), norm (LayerNorm over channels last), mlp = Mlp(fc1, act,
  drop1, norm (Identity), fc2, drop2) with nn.Linear layers. convnext_tiny: depths (3, 3, 9, 3),
  convnext_small: (3, 3, 27, 3), dims (96, 192, 384, 768).
* timm/models/efficientnet.py (same repository, commit cba23258aa2cc8b7d395b6bf96739c2ff84ccf13):
  EfficientNet registers conv_stem, bn1 (BatchNormAct2d: BatchNorm2d's keys), blocks (a Sequential of
  stages, each a Sequential of blocks), conv_head, bn2, global_pool, classifier; _gen_efficientnet's
  arch_def 'ds_r1_k3_s1_e1_c16_se0.25', 'ir_r2_k3_s2_e6_c24_se0.25', 'ir_r2_k5_s2_e6_c40_se0.25',
  'ir_r3_k3_s2_e6_c80_se0.25', 'ir_r3_k5_s1_e6_c112_se0.25', 'ir_r4_k5_s2_e6_c192_se0.25',
  'ir_r1_k3_s1_e6_c320_se0.25', stem 32, num_features 1280; efficientnet_b1 multiplies the repeats by 1.1
  (rounded up). timm/models/_efficientnet_blocks.py (commit 01419346ca79f2c5612d991d00ec80d9262fadf1):
  DepthwiseSeparableConv registers conv_dw, bn1, aa, se, conv_pw, bn2; InvertedResidual conv_pw, bn1,
  conv_dw, bn2, aa, se, conv_pwl, bn3; SqueezeExcite conv_reduce, act1, conv_expand (1x1 convs with bias)
  with rd channels = block input channels x 0.25 (the builder divides se0.25 by the expand ratio).

The version string of timm at those commits is not stored with them; they are timm 1.0.x development
versions. These key names are those of the timm hub checkpoints (e.g. timm/convnext_small.in12k_ft_in1k,
timm/resnet50.a1_in1k model.safetensors). Usage: /usr/bin/python3 timm_keys.py > timm-keys.txt
"""

import math

HEADER = """\
# timm state_dict keys: model, then one line per tensor "key dtype shape" (shape comma-separated, "-" for a
# scalar), in state_dict order, for 1000 classes and 3 input channels.
# Source: timm (huggingface/pytorch-image-models), read since timm cannot be installed here:
#   timm/models/resnet.py   at commit 00c5be7656cd8aa102138d388c323a4f6181dde6 (resnet50)
#   timm/models/convnext.py at commit 03fa149147b1695dc7ebce06737623d39b7dd34f (convnext_tiny, convnext_small)
#   timm/layers/classifier.py NormMlpClassifierHead (head.norm, head.fc)
#   timm/models/efficientnet.py at commit cba23258aa2cc8b7d395b6bf96739c2ff84ccf13 and
#   timm/models/_efficientnet_blocks.py at commit 01419346ca79f2c5612d991d00ec80d9262fadf1 (efficientnet_b0, b1)
# timm version: 1.0.x development versions (the version string is not stored with these file versions).
# Written by src/test/python/timm_keys.py, which explains how each name follows from that source."""


def conv(lines, name, shape, bias=False):
    lines.append((name + ".weight", "F32", shape))
    if bias:
        lines.append((name + ".bias", "F32", shape[:1]))


def batch_norm(lines, name, c):
    for p in ("weight", "bias", "running_mean", "running_var"):
        lines.append(("%s.%s" % (name, p), "F32", [c]))
    lines.append((name + ".num_batches_tracked", "I64", []))


def layer_norm(lines, name, c):
    lines.append((name + ".weight", "F32", [c]))
    lines.append((name + ".bias", "F32", [c]))


def linear(lines, name, out, inp):
    lines.append((name + ".weight", "F32", [out, inp]))
    lines.append((name + ".bias", "F32", [out]))


def resnet50(classes=1000):
    lines = []
    conv(lines, "conv1", [64, 3, 7, 7])
    batch_norm(lines, "bn1", 64)
    inplanes = 64
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3))):
        out = planes * 4
        for b in range(blocks):
            p = "layer%d.%d." % (stage + 1, b)
            conv(lines, p + "conv1", [planes, inplanes, 1, 1])
            batch_norm(lines, p + "bn1", planes)
            conv(lines, p + "conv2", [planes, planes, 3, 3])
            batch_norm(lines, p + "bn2", planes)
            conv(lines, p + "conv3", [out, planes, 1, 1])
            batch_norm(lines, p + "bn3", out)
            if b == 0:
                conv(lines, p + "downsample.0", [out, inplanes, 1, 1])
                batch_norm(lines, p + "downsample.1", out)
            inplanes = out
    linear(lines, "fc", classes, 2048)
    return lines


def convnext(depths, dims=(96, 192, 384, 768), classes=1000):
    lines = []
    conv(lines, "stem.0", [dims[0], 3, 4, 4], bias=True)
    layer_norm(lines, "stem.1", dims[0])
    for i, (depth, dim) in enumerate(zip(depths, dims)):
        if i > 0:
            layer_norm(lines, "stages.%d.downsample.0" % i, dims[i - 1])
            conv(lines, "stages.%d.downsample.1" % i, [dim, dims[i - 1], 2, 2], bias=True)
        for b in range(depth):
            p = "stages.%d.blocks.%d." % (i, b)
            lines.append((p + "gamma", "F32", [dim]))
            conv(lines, p + "conv_dw", [dim, 1, 7, 7], bias=True)
            layer_norm(lines, p + "norm", dim)
            linear(lines, p + "mlp.fc1", 4 * dim, dim)
            linear(lines, p + "mlp.fc2", dim, 4 * dim)
    layer_norm(lines, "head.norm", dims[-1])
    linear(lines, "head.fc", classes, dims[-1])
    return lines


def efficientnet(depth, classes=1000):
    stages = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
              (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
    lines = []
    conv(lines, "conv_stem", [32, 3, 3, 3])
    batch_norm(lines, "bn1", 32)
    inp = 32
    for s, (ratio, k, _stride, out, repeats) in enumerate(stages):
        for b in range(int(math.ceil(repeats * depth))):
            p = "blocks.%d.%d." % (s, b)
            mid = inp * ratio
            if ratio == 1:  # DepthwiseSeparableConv
                conv(lines, p + "conv_dw", [mid, 1, k, k])
                batch_norm(lines, p + "bn1", mid)
            else:  # InvertedResidual
                conv(lines, p + "conv_pw", [mid, inp, 1, 1])
                batch_norm(lines, p + "bn1", mid)
                conv(lines, p + "conv_dw", [mid, 1, k, k])
                batch_norm(lines, p + "bn2", mid)
            conv(lines, p + "se.conv_reduce", [inp // 4, mid, 1, 1], bias=True)
            conv(lines, p + "se.conv_expand", [mid, inp // 4, 1, 1], bias=True)
            conv(lines, p + ("conv_pw" if ratio == 1 else "conv_pwl"), [out, mid, 1, 1])
            batch_norm(lines, p + ("bn2" if ratio == 1 else "bn3"), out)
            inp = out
    conv(lines, "conv_head", [1280, 320, 1, 1])
    batch_norm(lines, "bn2", 1280)
    linear(lines, "classifier", classes, 1280)
    return lines


def main():
    print(HEADER)
    for name, lines in (("resnet50", resnet50()), ("convnext_tiny", convnext((3, 3, 9, 3))),
                        ("convnext_small", convnext((3, 3, 27, 3))), ("efficientnet_b0", efficientnet(1.0)),
                        ("efficientnet_b1", efficientnet(1.1))):
        print("model " + name)
        for key, dtype, shape in lines:
            print("%s %s %s" % (key, dtype, ",".join(str(d) for d in shape) or "-"))


if __name__ == "__main__":
    main()
