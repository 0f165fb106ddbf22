/**
 * The library's entry points, for a Java program that embeds PneuKnow without the command line:
 * {@link io.pneuknow.api.Trainer} (settings, data set and split to a trained model directory),
 * {@link io.pneuknow.api.Evaluator} (a model directory scored on a part of a split into a typed
 * {@link io.pneuknow.evaluate.Evaluation}: metrics with patient-level intervals, calibration, operating
 * points, subgroups, Grad-CAM against the expert's regions, provenance) and
 * {@link io.pneuknow.api.Classifier} (a model directory to per-image probabilities, predicted class,
 * input-guard warnings and Grad-CAM heat maps). {@code docs/examples/library/TrainAndPredict.java} shows
 * the whole path, from a generated data set to evaluations and heat maps; the command line's train,
 * evaluate and predict are thin layers over these three.
 *
 * <h2>Public API and internals</h2>
 *
 * <p>Public API (documented, kept compatible, used by the examples): this package; {@code io.pneuknow}
 * ({@code BadInputException}, {@code Json}); {@code data} (DataSpec, DatasetLoader, Dataset, Sample, Split,
 * Splitter, SplitCsv, SyntheticChestXrays); {@code image} and {@code image.dicom} (GreyImage, ImageFormats,
 * ImageFiles); {@code transform} (Preprocessor, RoiMask, the augmentation presets); {@code model}
 * (ModelBundle, ModelCard, Predictor, the architectures); {@code train} (TrainConfig and its builder,
 * TrainRun's Parts, Provenance and Outcome, the TrainingMethod plug-in interface and its registry,
 * EngineThreads); {@code evaluate}; {@code explain} (HeatMaps, the facade over its Grad-CAM, CAM and cell-placement parts; Agreement,
 * ImageAgreement, Overlays); {@code guard}
 * (InputGuard, InputImage, GuardWarning). Every public type of these packages has a javadoc comment
 * ({@code PublicApiJavadocTest}); the training machinery among them (StageTrainer, BatchLoader, Adam,
 * Losses, ...) is public for the method plug-ins, not for callers.
 *
 * <p>Internal (may change without notice): {@code cli} (picocli), {@code serve} (Javalin), {@code bench},
 * {@code experiment}, {@code queue}, {@code pretrain} and {@code report}. picocli and Javalin are optional dependencies:
 * a project that depends on PneuKnow does not get them, and no package outside cli, serve and bench uses
 * them ({@code LibraryDependenciesTest}).
 *
 * <h2>What is process-wide</h2>
 *
 * <p>The PyTorch engine has state that belongs to the JVM, not to a trainer or a model:
 * <ul>
 *   <li>its default random generator, reseeded by {@code Engine.setRandomSeed} at each stage's
 *       initialisation and each epoch; dropout and the initialisers draw from it;</li>
 *   <li>its intra-op thread count ({@code train.EngineThreads#set}, {@code JniUtils.setNumThreads}):
 *       the same seed gives the same weights only at the same thread count;</li>
 *   <li>DJL's gradient tape: one {@code GradientCollector} at a time per JVM (a second one throws),
 *       used by every training step and by Grad-CAM.</li>
 * </ul>
 * A training therefore holds a JVM-wide lease ({@code train.EngineThreads#exclusive}) while it runs: a
 * second training started meanwhile in the same JVM (another thread, another Trainer) waits for the
 * first, says so on its log, and then trains exactly as it would have alone. Heat maps take the same
 * lease ({@code EngineThreads#gradientTape}), so a classifier, an evaluator or the service computing them
 * waits while a training runs. Plain prediction draws nothing from the generator, needs no tape and records no autograd graph
 * on any thread, so classifiers may predict (one per thread) while a training runs, at the thread count
 * the training set; calling
 * {@code EngineThreads.set} during a training changes that training's thread count and with it its
 * weights, so set it before training or leave it to the trainer. Grad mode is per thread: a training sets
 * it on its own thread for as long as it holds the lease.
 */
package io.pneuknow.api;
