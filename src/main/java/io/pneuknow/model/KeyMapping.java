package io.pneuknow.model;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.util.Pair;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How the tensor names of a checkpoint in one naming scheme (torchvision's or timm's state_dict keys) map
 * onto our DJL parameter names for one architecture.
 *
 * <p>Our names are DJL's: the path of child blocks, each prefixed with its 1-based position
 * ({@code 01backbone_05ParallelBlock_01SequentialBlock_02BatchNorm_gamma}). They follow from how
 * {@link ResNet}, {@link ConvNeXt}, {@link DenseNet} and {@link EfficientNet} assemble the blocks; {@code KeyMappingTest} checks that every mapping
 * covers exactly the parameters of the built net. Parameter correspondences: conv/linear {@code weight},
 * {@code bias} the same; BatchNorm {@code weight, bias, running_mean, running_var} = our {@code gamma, beta,
 * runningMean, runningVar} (its {@code num_batches_tracked} has no counterpart and is skipped); LayerNorm
 * {@code weight, bias} = {@code gamma, beta}; ConvNeXt layer scale torchvision {@code layer_scale} (C, 1, 1)
 * and timm {@code gamma} (C) = our {@code layerScale} (C).
 *
 * <p>Architectures: ResNet (resnet18, resnet50 and our resnet18_half), ConvNeXt (convnext_tiny, convnext_small
 * and our convnext_micro), densenet121 (torchvision names only), efficientnet_b0/b1.
 *
 * <p>Schemes: torchvision 0.14 ({@code torchvision/models/resnet.py}, {@code convnext.py}, {@code densenet.py},
 * {@code efficientnet.py}); timm (the source files are cited in {@code src/test/python/timm-keys.txt}, the
 * fixture {@code KeyMappingTest} checks this mapping against): timm's ResNet uses torchvision's names, its ConvNeXt uses {@code stem.*},
 * {@code stages.S.downsample.*}, {@code stages.S.blocks.B.{conv_dw, norm, mlp.fc1, mlp.fc2, gamma}} and
 * {@code head.norm}, {@code head.fc}; its EfficientNet {@code conv_stem}, {@code bn1}, {@code blocks.S.B.*},
 * {@code conv_head}, {@code bn2}, {@code classifier}.
 *
 * @param scheme "torchvision" or "timm"
 * @param keys source key to our parameter name, in the source's state_dict order
 * @param classifier the source keys of the final linear layer (replaced when the class count changes)
 * @param firstConv the source key of the first convolution's weight (adapted between 1 and 3 channels)
 */
record KeyMapping(String scheme, Architecture architecture, Map<String, String> keys, Set<String> classifier,
                  String firstConv) {

    static final String TORCHVISION = "torchvision";
    static final String TIMM = "timm";

    /** Source keys we skip silently: BatchNorm's batch counter (int64, unused with a fixed momentum). */
    static boolean ignorable(String key) {
        return key.endsWith(".num_batches_tracked");
    }

    /**
     * The net's mapping in {@code scheme}, or null when the architecture has none there (tiny_cnn; timm
     * names for densenet121).
     */
    static KeyMapping of(ClassifierNet net, String scheme) {
        Architecture arch = net.architecture();
        if (arch == null) {
            throw new IllegalArgumentException("the net was not built by Architecture.build");
        }
        boolean timm = switch (scheme) {
            case TORCHVISION -> false;
            case TIMM -> true;
            default -> throw new IllegalArgumentException("unknown scheme " + scheme);
        };
        Names names = new Names();
        String first;
        Set<String> classifier;
        switch (arch) {
            case resnet18, resnet18_half -> {
                first = resnet(names, false, new int[] {2, 2, 2, 2});
                classifier = resnetHead(names, net);
            }
            case resnet50 -> {
                first = resnet(names, true, new int[] {3, 4, 6, 3});
                classifier = resnetHead(names, net);
            }
            case convnext_micro -> {
                first = convnext(names, new int[] {2, 2, 6, 2}, timm);
                classifier = convnextHead(names, net, timm);
            }
            case convnext_tiny -> {
                first = convnext(names, new int[] {3, 3, 9, 3}, timm);
                classifier = convnextHead(names, net, timm);
            }
            case convnext_small -> {
                first = convnext(names, new int[] {3, 3, 27, 3}, timm);
                classifier = convnextHead(names, net, timm);
            }
            case densenet121 -> {
                if (timm) { // timm's DenseNet names are not checked against its source here: not offered
                    return null;
                }
                first = densenet(names, new int[] {6, 12, 24, 16});
                names.weightAndBias("classifier", HEAD + headChild(net, Linear.class));
                classifier = Set.of("classifier.weight", "classifier.bias");
            }
            case efficientnet_b0, efficientnet_b1 -> {
                int[] depths = EfficientNet.depths(arch == Architecture.efficientnet_b0 ? 1.0 : 1.1);
                first = timm ? efficientnetTimm(names, depths) : efficientnet(names, depths);
                String fc = timm ? "classifier" : "classifier.1";
                names.weightAndBias(fc, HEAD + headChild(net, Linear.class));
                classifier = Set.of(fc + ".weight", fc + ".bias");
            }
            default -> {
                return null;
            }
        }
        return new KeyMapping(scheme, arch, Collections.unmodifiableMap(names.map),
                Collections.unmodifiableSet(classifier), first);
    }

    /** The net's mappings in both schemes, torchvision's first (empty when it has none). */
    static List<KeyMapping> all(ClassifierNet net) {
        return java.util.stream.Stream.of(of(net, TORCHVISION), of(net, TIMM))
                .filter(java.util.Objects::nonNull).toList();
    }

    /** Whether the torchvision and timm names of this architecture are the same (ResNet). */
    boolean sameAs(KeyMapping other) {
        return keys.equals(other.keys);
    }

    private static final String BACKBONE = "01backbone_";
    private static final String HEAD = "02head_";

    private static String child(int position, String name) {
        return String.format("%02d%s", position, name);
    }

    /** torchvision/timm ResNet; returns the first conv's key. */
    private static String resnet(Names names, boolean bottleneck, int[] depths) {
        names.weight("conv1", BACKBONE + child(1, "Conv2d"));
        names.batchNorm("bn1", BACKBONE + child(2, "BatchNorm"));
        int position = 5; // after conv, bn, relu, maxpool
        for (int stage = 0; stage < depths.length; stage++) {
            for (int b = 0; b < depths[stage]; b++) {
                String src = "layer" + (stage + 1) + "." + b + ".";
                String block = BACKBONE + child(position++, "ParallelBlock") + "_";
                String main = block + child(1, "SequentialBlock") + "_";
                int convs = bottleneck ? 3 : 2;
                for (int c = 0; c < convs; c++) { // conv, bn, relu per conv: positions 1, 2 then 4, 5 then 7, 8
                    names.weight(src + "conv" + (c + 1), main + child(3 * c + 1, "Conv2d"));
                    names.batchNorm(src + "bn" + (c + 1), main + child(3 * c + 2, "BatchNorm"));
                }
                if (b == 0 && (stage > 0 || bottleneck)) {
                    String shortcut = block + child(2, "SequentialBlock") + "_";
                    names.weight(src + "downsample.0", shortcut + child(1, "Conv2d"));
                    names.batchNorm(src + "downsample.1", shortcut + child(2, "BatchNorm"));
                }
            }
        }
        return "conv1.weight";
    }

    /** torchvision DenseNet (timm's DenseNet uses the same names); returns the first conv's key. */
    private static String densenet(Names names, int[] blocks) {
        names.weight("features.conv0", BACKBONE + child(1, "Conv2d"));
        names.batchNorm("features.norm0", BACKBONE + child(2, "BatchNorm"));
        int position = 5; // after conv, bn, relu, maxpool
        for (int b = 0; b < blocks.length; b++) {
            for (int layer = 0; layer < blocks[b]; layer++) {
                String src = "features.denseblock" + (b + 1) + ".denselayer" + (layer + 1) + ".";
                String main = BACKBONE + child(position++, "ParallelBlock") + "_" + child(2, "SequentialBlock") + "_";
                names.batchNorm(src + "norm1", main + child(1, "BatchNorm"));
                names.weight(src + "conv1", main + child(3, "Conv2d"));
                names.batchNorm(src + "norm2", main + child(4, "BatchNorm"));
                names.weight(src + "conv2", main + child(6, "Conv2d"));
            }
            if (b < blocks.length - 1) {
                String src = "features.transition" + (b + 1) + ".";
                String transition = BACKBONE + child(position++, "SequentialBlock") + "_";
                names.batchNorm(src + "norm", transition + child(1, "BatchNorm"));
                names.weight(src + "conv", transition + child(3, "Conv2d"));
            }
        }
        names.batchNorm("features.norm5", BACKBONE + child(position, "BatchNorm"));
        return "features.conv0.weight";
    }

    /**
     * torchvision EfficientNet: features.0 stem (conv, bn), features.1..7 the stages, each block's
     * {@code block.K} being [expand (0 conv, 1 bn)], depthwise (0 conv, 1 bn), SE (fc1, fc2), project
     * (0 conv, 1 bn); features.8 the last conv and bn. Returns the first conv's key.
     */
    private static String efficientnet(Names names, int[] depths) {
        names.weight("features.0.0", BACKBONE + child(1, "SequentialBlock") + "_" + child(1, "Conv2d"));
        names.batchNorm("features.0.1", BACKBONE + child(1, "SequentialBlock") + "_" + child(2, "BatchNorm"));
        int position = 2;
        for (int s = 0; s < depths.length; s++) {
            for (int b = 0; b < depths[s]; b++) {
                String src = "features." + (s + 1) + "." + b + ".block.";
                String block = BACKBONE + child(position++, "MBConv") + "_";
                int k = 0;
                int c = 1;
                if (EfficientNet.expands(s)) {
                    convBn(names, src + k++, block + child(c++, "expand") + "_");
                }
                convBn(names, src + k++, block + child(c++, "depthwise") + "_");
                String se = block + child(c++, "se") + "_";
                names.weightAndBias(src + k + ".fc1", se + child(1, "fc1"));
                names.weightAndBias(src + k++ + ".fc2", se + child(2, "fc2"));
                convBn(names, src + k, block + child(c, "project") + "_");
            }
        }
        String last = BACKBONE + child(position, "SequentialBlock") + "_";
        names.weight("features.8.0", last + child(1, "Conv2d"));
        names.batchNorm("features.8.1", last + child(2, "BatchNorm"));
        return "features.0.0.weight";
    }

    private static void convBn(Names names, String source, String ours) {
        names.weight(source + ".0", ours + child(1, "Conv2d"));
        names.batchNorm(source + ".1", ours + child(2, "BatchNorm"));
    }

    /**
     * timm EfficientNet: conv_stem, bn1; blocks.S.B: stage 0 (DepthwiseSeparableConv) conv_dw, bn1,
     * se.conv_reduce, se.conv_expand, conv_pw, bn2; the others (InvertedResidual) conv_pw, bn1, conv_dw,
     * bn2, se.conv_reduce, se.conv_expand, conv_pwl, bn3; then conv_head, bn2. Returns the first conv's key.
     */
    private static String efficientnetTimm(Names names, int[] depths) {
        names.weight("conv_stem", BACKBONE + child(1, "SequentialBlock") + "_" + child(1, "Conv2d"));
        names.batchNorm("bn1", BACKBONE + child(1, "SequentialBlock") + "_" + child(2, "BatchNorm"));
        int position = 2;
        for (int s = 0; s < depths.length; s++) {
            for (int b = 0; b < depths[s]; b++) {
                String src = "blocks." + s + "." + b + ".";
                String block = BACKBONE + child(position++, "MBConv") + "_";
                boolean expands = EfficientNet.expands(s);
                int c = 1;
                if (expands) {
                    String expand = block + child(c++, "expand") + "_";
                    names.weight(src + "conv_pw", expand + child(1, "Conv2d"));
                    names.batchNorm(src + "bn1", expand + child(2, "BatchNorm"));
                }
                String depthwise = block + child(c++, "depthwise") + "_";
                names.weight(src + "conv_dw", depthwise + child(1, "Conv2d"));
                names.batchNorm(src + (expands ? "bn2" : "bn1"), depthwise + child(2, "BatchNorm"));
                String se = block + child(c++, "se") + "_";
                names.weightAndBias(src + "se.conv_reduce", se + child(1, "fc1"));
                names.weightAndBias(src + "se.conv_expand", se + child(2, "fc2"));
                String project = block + child(c, "project") + "_";
                names.weight(src + (expands ? "conv_pwl" : "conv_pw"), project + child(1, "Conv2d"));
                names.batchNorm(src + (expands ? "bn3" : "bn2"), project + child(2, "BatchNorm"));
            }
        }
        String last = BACKBONE + child(position, "SequentialBlock") + "_";
        names.weight("conv_head", last + child(1, "Conv2d"));
        names.batchNorm("bn2", last + child(2, "BatchNorm"));
        return "conv_stem.weight";
    }

    private static final java.util.regex.Pattern LEGACY_DENSE_LAYER = java.util.regex.Pattern.compile(
            "^(.*denselayer\\d+\\.(?:norm|relu|conv))\\.((?:[12])\\.(?:weight|bias|running_mean|running_var))$");

    /**
     * A file key in today's names: torchvision's published DenseNet checkpoints use the pre-0.4 names
     * {@code denselayerN.norm.1.weight} for {@code denselayerN.norm1.weight} (torchvision renames them the same
     * way when it loads them); other keys are returned as they are.
     */
    static String normalize(String key) {
        java.util.regex.Matcher m = LEGACY_DENSE_LAYER.matcher(key);
        return m.matches() ? m.group(1) + m.group(2) : key;
    }

    private static Set<String> resnetHead(Names names, ClassifierNet net) {
        String linear = HEAD + headChild(net, Linear.class);
        names.weightAndBias("fc", linear);
        return Set.of("fc.weight", "fc.bias");
    }

    /** torchvision or timm ConvNeXt; returns the first conv's key. */
    private static String convnext(Names names, int[] depths, boolean timm) {
        names.weightAndBias(timm ? "stem.0" : "features.0.0", BACKBONE + child(1, "Conv2d"));
        names.norm(timm ? "stem.1" : "features.0.1", BACKBONE + child(2, "LayerNorm2d"));
        int position = 3;
        for (int stage = 0; stage < depths.length; stage++) {
            if (stage > 0) {
                String down = timm ? "stages." + stage + ".downsample." : "features." + (2 * stage) + ".";
                names.norm(down + "0", BACKBONE + child(position++, "LayerNorm2d"));
                names.weightAndBias(down + "1", BACKBONE + child(position++, "Conv2d"));
            }
            for (int b = 0; b < depths[stage]; b++) {
                String block = BACKBONE + child(position++, "ConvNeXtBlock") + "_";
                if (timm) {
                    String src = "stages." + stage + ".blocks." + b + ".";
                    names.put(src + "gamma", block + "layerScale");
                    names.weightAndBias(src + "conv_dw", block + child(1, "depthwise"));
                    names.norm(src + "norm", block + child(2, "norm"));
                    names.weightAndBias(src + "mlp.fc1", block + child(3, "expand"));
                    names.weightAndBias(src + "mlp.fc2", block + child(4, "project"));
                } else {
                    String src = "features." + (2 * stage + 1) + "." + b + ".";
                    names.put(src + "layer_scale", block + "layerScale");
                    names.weightAndBias(src + "block.0", block + child(1, "depthwise"));
                    names.norm(src + "block.2", block + child(2, "norm"));
                    names.weightAndBias(src + "block.3", block + child(3, "expand"));
                    names.weightAndBias(src + "block.5", block + child(4, "project"));
                }
            }
        }
        return timm ? "stem.0.weight" : "features.0.0.weight";
    }

    private static Set<String> convnextHead(Names names, ClassifierNet net, boolean timm) {
        names.norm(timm ? "head.norm" : "classifier.0", HEAD + headChild(net, LayerNorm.class));
        String fc = timm ? "head.fc" : "classifier.2";
        names.weightAndBias(fc, HEAD + headChild(net, Linear.class));
        return Set.of(fc + ".weight", fc + ".bias");
    }

    /** The DJL name of the head's (only) child of the given type: its position depends on dropout. */
    private static String headChild(ClassifierNet net, Class<? extends Block> type) {
        Set<String> found = new LinkedHashSet<>();
        for (Pair<String, Block> child : net.head().getChildren()) {
            if (type.isInstance(child.getValue())) {
                found.add(child.getKey());
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException("head has " + found.size() + " " + type.getSimpleName() + " blocks");
        }
        return found.iterator().next();
    }

    /** Accumulates source key to DJL name pairs. */
    private static final class Names {
        final Map<String, String> map = new LinkedHashMap<>();

        void put(String source, String ours) {
            if (map.put(source, ours) != null) {
                throw new IllegalStateException("duplicate key " + source);
            }
        }

        void weight(String source, String ours) {
            put(source + ".weight", ours + "_weight");
        }

        void weightAndBias(String source, String ours) {
            put(source + ".weight", ours + "_weight");
            put(source + ".bias", ours + "_bias");
        }

        void norm(String source, String ours) {
            put(source + ".weight", ours + "_gamma");
            put(source + ".bias", ours + "_beta");
        }

        void batchNorm(String source, String ours) {
            norm(source, ours);
            put(source + ".running_mean", ours + "_runningMean");
            put(source + ".running_var", ours + "_runningVar");
        }
    }
}
