package io.pneuknow.evaluate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Small hand-checkable prediction sets. */
final class Fixtures {
    static final List<String> ABC = List.of("A", "B", "C");

    private Fixtures() {
    }

    /** Probability 0.8 on {@code predicted} and the rest spread evenly; one patient per image. */
    static Prediction confident(String id, int trueClass, int predicted, int classes) {
        double[] p = new double[classes];
        Arrays.fill(p, 0.2 / (classes - 1));
        p[predicted] = 0.8;
        return new Prediction(id, "patient-" + id, trueClass, p);
    }

    /**
     * 8 images, classes A B C, 0.8 on the predicted class and 0.1 on the others.
     * <pre>
     * image  1 2 3 4 5 6 7 8
     * true   A A A B B B C C
     * pred   A A B B B C C B
     * </pre>
     */
    static List<Prediction> eightImages() {
        int[] truth = {0, 0, 0, 1, 1, 1, 2, 2};
        int[] predicted = {0, 0, 1, 1, 1, 2, 2, 1};
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < truth.length; i++) {
            predictions.add(confident("img" + (i + 1), truth[i], predicted[i], 3));
        }
        return predictions;
    }

    /** A binary prediction with p(class 1) = {@code p1}. */
    static Prediction binary(String id, String patient, int trueClass, double p1) {
        return new Prediction(id, patient, trueClass, new double[] {1 - p1, p1}, Map.of());
    }
}
