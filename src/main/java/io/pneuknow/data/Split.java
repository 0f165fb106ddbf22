package io.pneuknow.data;

import io.pneuknow.BadInputException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An assignment of images to named parts: k folds ("0".."k-1") or train/val/test. Every image is in
 * exactly one part, and a patient's images are never in two parts.
 *
 * @param partOfImage image id to part name
 * @param parts       part names in order (train, val, test; or folds by number)
 */
public record Split(Map<String, String> partOfImage, List<String> parts) {
    public static final String TRAIN = "train";
    public static final String VAL = "val";
    public static final String TEST = "test";
    /** The spellings of part names understood in split files and columns (any case), for messages. */
    public static final String SPELLINGS = "train/training, val/valid/validation/dev, test/holdout, or fold numbers 0, 1, ...";
    private static final Map<String, String> SYNONYMS = Map.of("train", TRAIN, "training", TRAIN, "val", VAL,
            "valid", VAL, "validation", VAL, "dev", VAL, "test", TEST, "holdout", TEST);

    public Split {
        partOfImage = Map.copyOf(partOfImage);
        parts = List.copyOf(parts);
        for (String part : partOfImage.values()) {
            if (!parts.contains(part)) {
                throw new IllegalArgumentException("part '" + part + "' is not in " + parts);
            }
        }
    }

    /**
     * The part a value of a split file or column names: train, val or test for their synonyms (any
     * case, surrounding spaces ignored), a fold number as it is; null for anything else.
     */
    public static String partName(String value) {
        String v = value == null ? "" : value.strip().toLowerCase(java.util.Locale.ROOT);
        return v.matches("\\d{1,9}") ? Integer.toString(Integer.parseInt(v)) : SYNONYMS.get(v);
    }

    /** Whether the parts are named train/val/test (rather than fold numbers). */
    public boolean named() {
        return parts.stream().anyMatch(SYNONYMS::containsValue);
    }

    /** The part of an image, or null when the image is not in the split. */
    public String partOf(String imageId) {
        return partOfImage.get(imageId);
    }

    /** The samples of {@code dataset} in {@code part}, in data set order. */
    public List<Sample> samples(Dataset dataset, String part) {
        return dataset.samples().stream().filter(s -> part.equals(partOf(s.imageId()))).toList();
    }

    /** Turns a k-fold split into train/val/test: test = {@code testFold}, val = the next fold (mod k), train = the rest. */
    public Split forFold(int testFold) {
        int k = parts.size();
        for (int fold = 0; fold < k; fold++) {
            if (!parts.get(fold).equals(Integer.toString(fold))) {
                throw new BadInputException("split parts " + parts + " are not folds 0.." + (k - 1)
                        + "; use a k-fold split or a fold-numbered column");
            }
        }
        if (k < 3 || testFold < 0 || testFold >= k) {
            throw new BadInputException("test fold " + testFold + " with " + k + " folds: need at least 3 folds and a test fold in 0.."
                    + (k - 1) + "; choose another fold or more folds");
        }
        String test = Integer.toString(testFold);
        String val = Integer.toString((testFold + 1) % k);
        Map<String, String> assigned = new LinkedHashMap<>();
        partOfImage.forEach((image, fold) -> assigned.put(image, fold.equals(test) ? TEST : fold.equals(val) ? VAL : TRAIN));
        return new Split(assigned, List.of(TRAIN, VAL, TEST));
    }

    /** Reads a train/val/test split from a labels column (values train, val, test). */
    public static Split fromColumn(Dataset dataset, String column) {
        Split split = readColumn(dataset, column);
        if (!split.named()) {
            throw new BadInputException("split column '" + column + "' has values " + split.parts()
                    + ", not train/val/test; for fold numbers pass a test fold");
        }
        return split;
    }

    /** Reads a labels column as it is: train/val/test parts or fold numbers, patients kept in one part. */
    public static Split ofColumn(Dataset dataset, String column) {
        return readColumn(dataset, column);
    }

    /** Reads a fold-numbered labels column (0..k-1) and makes train/val/test with {@code testFold} as test. */
    public static Split fromColumn(Dataset dataset, String column, int testFold) {
        return readColumn(dataset, column).forFold(testFold);
    }

    private static Split readColumn(Dataset dataset, String column) {
        Map<String, String> partOfImage = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Sample sample : dataset.samples()) {
            String value = sample.attributes().getOrDefault(column, "");
            String part = partName(value);
            if (value.isEmpty()) {
                problems.add("image '" + sample.imageId() + "': no value in split column '" + column
                        + "'; fill it in or choose another column");
            } else if (part == null) {
                problems.add("image '" + sample.imageId() + "': '" + value + "' in split column '" + column
                        + "' is not a part name; write " + SPELLINGS);
            } else {
                partOfImage.put(sample.imageId(), part);
            }
        }
        problems.addAll(mixedNamesAndFolds(partOfImage.values()));
        problems.addAll(patientsInSeveralParts(dataset, partOfImage));
        if (!problems.isEmpty()) {
            throw new BadInputException(problems.size() + " problems in split column '" + column + "':\n"
                    + String.join("\n", problems));
        }
        return new Split(partOfImage, orderedParts(partOfImage.values()));
    }

    /** Per class and part: "images (patients)", with a total row. */
    public String countsTable(Dataset dataset) {
        List<String> header = new ArrayList<>(List.of("class"));
        header.addAll(parts);
        TextTable table = new TextTable(header.toArray(String[]::new));
        for (String className : dataset.classes()) {
            table.row(countsRow(className, dataset.samples().stream().filter(s -> s.className().equals(className)).toList()));
        }
        table.row(countsRow("total", dataset.samples()));
        return "images (patients) per part\n" + table;
    }

    private Object[] countsRow(String name, List<Sample> samples) {
        List<Object> row = new ArrayList<>(List.of(name));
        for (String part : parts) {
            List<Sample> inPart = samples.stream().filter(s -> part.equals(partOf(s.imageId()))).toList();
            row.add(inPart.size() + " (" + inPart.stream().map(Sample::patientId).distinct().count() + ")");
        }
        return row.toArray();
    }

    /** One line per class that has fewer patients than there are parts (some part then lacks the class). */
    public List<String> warnings(Dataset dataset) {
        List<String> warnings = new ArrayList<>();
        for (String className : dataset.classes()) {
            long patients = dataset.samples().stream().filter(s -> s.className().equals(className))
                    .map(Sample::patientId).distinct().count();
            if (patients < parts.size()) {
                warnings.add("class '" + className + "' has " + patients + " patients, fewer than the " + parts.size()
                        + " parts; some parts have no " + className + " images");
            }
        }
        return warnings;
    }

    /** A message when parts mix train/val/test names and fold numbers (empty otherwise). */
    static List<String> mixedNamesAndFolds(Collection<String> parts) {
        boolean named = parts.stream().anyMatch(SYNONYMS::containsValue);
        boolean folds = parts.stream().anyMatch(p -> !SYNONYMS.containsValue(p));
        return named && folds ? List.of("parts " + orderedParts(parts) + " mix train/val/test names and fold numbers;"
                + " use one or the other") : List.of();
    }

    /** One message per patient whose images are in more than one part. */
    static List<String> patientsInSeveralParts(Dataset dataset, Map<String, String> partOfImage) {
        Map<String, Set<String>> partsOfPatient = new TreeMap<>();
        for (Sample sample : dataset.samples()) {
            String part = partOfImage.get(sample.imageId());
            if (part != null) {
                partsOfPatient.computeIfAbsent(sample.patientId(), p -> new TreeSet<>()).add(part);
            }
        }
        List<String> messages = new ArrayList<>();
        partsOfPatient.forEach((patient, parts) -> {
            if (parts.size() > 1) {
                messages.add("patient '" + patient + "' is in parts " + String.join(", ", parts)
                        + "; put all of a patient's images in one part");
            }
        });
        return messages;
    }

    /** Part names in a stable order: train, val, test first, then fold numbers ascending, then the rest by name. */
    static List<String> orderedParts(Collection<String> names) {
        List<String> known = List.of(TRAIN, VAL, TEST);
        Comparator<String> order = Comparator
                .comparingInt((String p) -> known.contains(p) ? known.indexOf(p) : p.matches("\\d{1,18}") ? 3 : 4)
                .thenComparingLong(p -> p.matches("\\d{1,18}") ? Long.parseLong(p) : 0)
                .thenComparing(Comparator.naturalOrder());
        return names.stream().distinct().sorted(order).toList();
    }
}
