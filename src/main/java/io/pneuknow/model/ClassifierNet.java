package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * An image classifier split into a backbone and a head.
 *
 * <p>The backbone maps (N, inChannels, H, W) to the last feature map (N, featureChannels, H/32, W/32);
 * the head is global average pooling, optionally LayerNorm over channels (ConvNeXt, as torchvision's
 * classifier), dropout and a linear layer to numClasses. {@link #forward} returns {@code NDList(logits,
 * featureMap)} from one pass, so training can use both (cross-entropy on the logits, a distillation loss
 * on the feature map). {@link #features} and {@link #headForward} run the two halves separately, e.g. to
 * run the head on a detached feature map for Grad-CAM; {@link #classActivationMaps} gives the CAM of a
 * feature map as a differentiable expression (for a loss on it, e.g. the energy term).
 *
 * <p>Randomness: dropout is DJL's {@link Dropout} block, which in training mode draws its mask from the
 * engine's global generator (so {@code Engine.getInstance().setRandomSeed(s)} makes it reproducible) and
 * is the identity in inference mode. Parameter initialisers draw from the same generator.
 */
public final class ClassifierNet extends AbstractBlock {

    private static final byte VERSION = 1;
    /** The epsilon of the standard head's LayerNorm (torchvision's ConvNeXt classifier). */
    static final float LAYER_NORM_EPSILON = 1e-6f;

    private final Block backbone;
    private final Block head;
    private final int inChannels;
    private final int featureChannels;
    private final int numClasses;
    private Architecture architecture;

    ClassifierNet(Block backbone, Block head, int inChannels, int featureChannels, int numClasses) {
        super(VERSION);
        if (inChannels < 1 || numClasses < 1) {
            throw new IllegalArgumentException("inChannels " + inChannels + ", numClasses " + numClasses);
        }
        this.backbone = addChildBlock("backbone", backbone);
        this.head = addChildBlock("head", head);
        this.inChannels = inChannels;
        this.featureChannels = featureChannels;
        this.numClasses = numClasses;
    }

    /**
     * The standard head: global average pooling, optional LayerNorm over channels (eps 1e-6, as
     * torchvision's ConvNeXt classifier), dropout (omitted when 0), linear to numClasses.
     */
    static SequentialBlock standardHead(int numClasses, float dropout, boolean layerNorm) {
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("dropout must be in [0, 1): " + dropout);
        }
        SequentialBlock head = new SequentialBlock().add(Pool.globalAvgPool2dBlock());
        if (layerNorm) {
            // input is (N, C): the default axes (all but the batch) are exactly the channels
            head.add(LayerNorm.builder().optEpsilon(LAYER_NORM_EPSILON).build());
        }
        if (dropout > 0) {
            head.add(Dropout.builder().optRate(dropout).build());
        }
        return head.add(Linear.builder().setUnits(numClasses).build());
    }

    /** The block mapping images (N, inChannels, H, W) to the feature map (N, featureChannels, H/32, W/32). */
    public Block backbone() {
        return backbone;
    }

    /** The block mapping a feature map (N, featureChannels, h, w) to logits (N, numClasses). */
    public Block head() {
        return head;
    }

    /** The architecture that built this net (null only for nets built outside {@link Architecture#build}). */
    public Architecture architecture() {
        return architecture;
    }

    ClassifierNet withArchitecture(Architecture architecture) {
        this.architecture = architecture;
        return this;
    }

    public int inChannels() {
        return inChannels;
    }

    public int featureChannels() {
        return featureChannels;
    }

    public int numClasses() {
        return numClasses;
    }

    /** Runs the backbone only: images (N, inChannels, H, W) to the feature map. */
    public NDArray features(ParameterStore ps, NDArray images, boolean training) {
        checkInput(images.getShape());
        return backbone.forward(ps, new NDList(images), training).singletonOrThrow();
    }

    /**
     * Runs the backbone, returning the last feature map and the map of the resolution level before
     * it: the output of the last block before the backbone's final downsampling (for a stride-32
     * backbone the stride-16 map, twice as fine; for ResNets the end of the third stage), e.g. as a
     * finer hint layer for distillation. Needs a backbone that is a sequence of blocks.
     *
     * @return {@code NDList(previousLevelMap, lastMap)}
     * @throws IllegalStateException when the backbone is not a sequence of blocks or never downsamples
     */
    public NDList previousAndLastMaps(ParameterStore ps, NDArray images, boolean training) {
        checkInput(images.getShape());
        if (!(backbone instanceof SequentialBlock sequence)) {
            throw new IllegalStateException("the backbone of " + (architecture == null ? "this net" : architecture.cliName())
                    + " is not a sequence of blocks, so it has no map of the level before the last");
        }
        NDList x = new NDList(images);
        NDArray previousLevel = null;
        for (Block child : sequence.getChildren().values()) {
            NDList out = child.forward(ps, x, training);
            long before = x.singletonOrThrow().getShape().get(2);
            long after = out.singletonOrThrow().getShape().get(2);
            if (after < before && x.singletonOrThrow() != images) {
                previousLevel = x.singletonOrThrow();
            }
            x = out;
        }
        if (previousLevel == null) {
            throw new IllegalStateException("the backbone never downsamples after its first block: no previous level");
        }
        return new NDList(previousLevel, x.singletonOrThrow());
    }

    /** Runs the head only: a feature map (N, featureChannels, h, w) to logits (N, numClasses). */
    public NDArray headForward(ParameterStore ps, NDArray features, boolean training) {
        return head.forward(ps, new NDList(features), training).singletonOrThrow();
    }

    /**
     * The class activation map of each sample's class on the feature grid, (N, h, w), computed with
     * NDArray operations from a feature map the forward pass returned, so it is differentiable (inside
     * a gradient tape the gradient reaches the head's weights and, unless detached, the features).
     * For the pooling + linear head, {@code CAM_c(h, w) = sum_k W[c, k] F[k, h, w]}; with the LayerNorm
     * head (ConvNeXt), the per-location decomposition
     * {@code CAM_c(h, w) = sum_k W[c, k] gamma_k (F[k, h, w] - mu) / sigma}, with mu and sigma the mean
     * and scale (sqrt of the biased variance plus epsilon) of the pooled vector and gamma the norm's
     * scale. Either way the mean over (h, w) of {@code CAM_c} plus {@code W[c] . beta + b_c} (just
     * {@code b_c} without the norm) is the logit of class c in inference mode. Dropout is left out: it is
     * the identity in inference mode, and in training mode the map ignores its mask.
     *
     * @param features the feature map (N, featureChannels, h, w)
     * @param classes the class of each sample (N), integers
     * @throws IllegalStateException when the head is not the standard one (pooling, optional LayerNorm,
     *     optional dropout, linear)
     */
    public NDArray classActivationMaps(NDArray features, NDArray classes) {
        Linear linear = null;
        LayerNorm norm = null;
        List<Block> children = head instanceof SequentialBlock s ? s.getChildren().values() : List.of();
        for (int i = 0; i < children.size(); i++) {
            Block child = children.get(i);
            boolean last = i == children.size() - 1;
            if (last && child instanceof Linear l) {
                linear = l;
            } else if (child instanceof LayerNorm n && norm == null && i == 1) {
                norm = n;
            } else if (!(child instanceof Dropout) && !(i == 0 && child instanceof LambdaBlock)) {
                linear = null;
                break;
            }
        }
        if (linear == null) {
            throw new IllegalStateException("a class activation map needs the standard head (global pooling, optional"
                    + " LayerNorm, optional dropout, linear); this head is " + head);
        }
        long n = features.getShape().get(0);
        long channels = features.getShape().get(1);
        NDArray weight = linear.getParameters().get("weight").getArray(); // (classes, C)
        NDArray perSample = classes.toType(DataType.INT64, false).oneHot(numClasses, weight.getDataType())
                .matMul(weight); // (N, C): each sample's row of W
        NDArray map = features;
        if (norm != null) {
            perSample = perSample.mul(norm.getParameters().get("gamma").getArray());
            NDArray pooled = features.reshape(n, channels, -1).mean(new int[] {2}); // (N, C)
            NDArray mu = pooled.mean(new int[] {1}, true); // (N, 1)
            NDArray sigma = pooled.sub(mu).square().mean(new int[] {1}, true).add(LAYER_NORM_EPSILON).sqrt();
            map = features.sub(mu.reshape(n, 1, 1, 1)).div(sigma.reshape(n, 1, 1, 1));
        }
        return map.mul(perSample.reshape(n, channels, 1, 1)).sum(new int[] {1});
    }

    /** Returns {@code NDList(logits (N, numClasses), featureMap (N, featureChannels, H/32, W/32))}. */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray images = inputs.singletonOrThrow();
        checkInput(images.getShape());
        NDList features = backbone.forward(ps, new NDList(images), training, params);
        NDList logits = head.forward(ps, features, training, params);
        return new NDList(logits.singletonOrThrow(), features.singletonOrThrow());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] features = backbone.getOutputShapes(inputShapes);
        Shape[] logits = head.getOutputShapes(features);
        return new Shape[] {logits[0], features[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        checkInput(inputShapes[0]);
        backbone.initialize(manager, dataType, inputShapes);
        head.initialize(manager, dataType, backbone.getOutputShapes(inputShapes));
    }

    private void checkInput(Shape shape) {
        if (shape.dimension() != 4
                || shape.get(1) != inChannels
                || shape.get(2) % Architecture.FEATURE_STRIDE != 0
                || shape.get(3) % Architecture.FEATURE_STRIDE != 0) {
            throw new IllegalArgumentException("expected (N, " + inChannels + ", H, W) with H and W divisible by "
                    + Architecture.FEATURE_STRIDE + ", got " + shape);
        }
    }
}
