package io.pneuknow.data;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A named list of synthetic shortcut tasks (a JSON file such as
 * {@code docs/examples/shortcut-tasks/frozen.json}): each task is one {@link SyntheticChestXrays.Spec}
 * under a name, optionally with the content hash its data must have. {@link #generate} writes every
 * task into {@code OUT/NAME} and checks the hashes, so a list committed before any tuning pins the
 * very images it was committed with.
 *
 * @param name     the list's name (e.g. {@code frozen})
 * @param purpose  what the list is for, in words
 * @param tasks    the tasks, in order
 */
public record SyntheticTaskList(String name, String purpose, List<Task> tasks) {
    /** The fields every task must give (all but {@code contentSha256}). */
    static final List<String> REQUIRED = List.of("name", "shortcut", "lesionVariety", "imageSize", "train", "val", "test",
            "unannotatedFraction", "cueLevel", "seed");

    /**
     * One task of a list.
     *
     * @param name                folder name under the output folder: lower-case letters, digits and '-'
     * @param shortcut            the shortcut kind's option name ({@link ShortcutKind#optionName()})
     * @param lesionVariety       one to three varied lesions per pathological image
     * @param imageSize           image side in pixels
     * @param train               training images per class
     * @param val                 validation images per class
     * @param test                test images per class
     * @param unannotatedFraction share of pathological training images without a region
     * @param cueLevel            the cue's strength (see {@link SyntheticChestXrays.Spec})
     * @param seed                the generator's seed
     * @param contentSha256       the {@link #contentHash} the generated folder must have; null: not checked
     */
    public record Task(String name, String shortcut, boolean lesionVariety, int imageSize, int train, int val, int test,
                       double unannotatedFraction, double cueLevel, long seed, String contentSha256) {
        /** The generator's settings of this task. */
        public SyntheticChestXrays.Spec spec() {
            return new SyntheticChestXrays.Spec(imageSize, train, val, test, unannotatedFraction, cueLevel, seed,
                    ShortcutKind.of(shortcut), lesionVariety);
        }
    }

    /** What {@link #generate} wrote for one task: its folder, its image count and its content hash. */
    public record Written(Task task, Path folder, int images, String contentSha256) {
    }

    /** Reads and checks a list; every problem is reported at once, each naming the task and field. */
    public static SyntheticTaskList read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": task list not found; give a JSON file such as docs/examples/shortcut-tasks/frozen.json");
        }
        SyntheticTaskList list;
        List<String> problems = new ArrayList<>();
        try {
            com.fasterxml.jackson.databind.JsonNode tree = Json.MAPPER.readTree(file.toFile());
            com.fasterxml.jackson.databind.JsonNode given = tree == null ? null : tree.get("tasks");
            for (int i = 0; given != null && given.isArray() && i < given.size(); i++) {
                com.fasterxml.jackson.databind.JsonNode task = given.get(i);
                List<String> missing = REQUIRED.stream().filter(f -> !task.has(f)).toList();
                if (!missing.isEmpty()) {
                    problems.add(file + ": task " + (i + 1) + (task.has("name") ? " '" + task.get("name").asText() + "'" : "")
                            + ": missing " + String.join(", ", missing) + "; give every field but contentSha256 (a left-out"
                            + " number would silently be 0)");
                }
            }
            list = Json.MAPPER.treeToValue(tree, SyntheticTaskList.class);
        } catch (IOException e) {
            String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new BadInputException(file + ": not a valid task list (" + first
                    + "); see docs/examples/shortcut-tasks/frozen.json for the form");
        }
        if (!problems.isEmpty()) {
            throw new BadInputException(String.join("\n", problems));
        }
        if (list.tasks() == null || list.tasks().isEmpty()) {
            problems.add(file + ": \"tasks\" lists no task; give at least one");
        } else {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < list.tasks().size(); i++) {
                Task t = list.tasks().get(i);
                String where = file + ": task " + (i + 1) + (t.name() == null ? "" : " '" + t.name() + "'");
                if (t.name() == null || !t.name().matches("[a-z0-9][a-z0-9-]*")) {
                    problems.add(where + ": name must be lower-case letters, digits and '-' (it names the folder)");
                } else if (!names.add(t.name())) {
                    problems.add(where + ": name is used twice; give each task its own");
                }
                try {
                    ShortcutKind.of(t.shortcut());
                } catch (BadInputException e) {
                    problems.add(where + ": " + e.getMessage());
                }
                if (t.imageSize() < 32) {
                    problems.add(where + ": imageSize " + t.imageSize() + " must be at least 32");
                }
                if (t.train() < 1 || t.val() < 1 || t.test() < 1) {
                    problems.add(where + ": train, val and test must each be at least 1 image per class; got "
                            + t.train() + "/" + t.val() + "/" + t.test());
                }
                if (!(t.unannotatedFraction() >= 0 && t.unannotatedFraction() <= 1)) {
                    problems.add(where + ": unannotatedFraction " + t.unannotatedFraction() + " must be in [0, 1]");
                }
                if (!(t.cueLevel() >= 0 && t.cueLevel() <= 1)) {
                    problems.add(where + ": cueLevel " + t.cueLevel() + " must be in [0, 1]");
                }
                if (t.contentSha256() != null && !t.contentSha256().matches("[0-9a-f]{64}")) {
                    problems.add(where + ": contentSha256 must be 64 lower-case hex digits, or left out");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new BadInputException(String.join("\n", problems));
        }
        return list;
    }

    /**
     * Writes every task into {@code out/NAME} (each folder new or empty, checked for all tasks before
     * anything is written) and returns what was written. A task whose generated content differs from
     * its {@code contentSha256} is refused with a message naming it (the generator changed since the
     * list was committed).
     */
    public List<Written> generate(Path out) {
        for (Task t : tasks) {
            Path folder = out.resolve(t.name());
            if (Files.exists(folder) && (!Files.isDirectory(folder) || !isEmpty(folder))) {
                throw new BadInputException(folder + " exists and is not an empty folder (task '" + t.name()
                        + "' of list '" + name + "'); choose a new --out");
            }
        }
        List<Written> written = new ArrayList<>();
        for (Task t : tasks) {
            Path folder = SyntheticChestXrays.generate(out.resolve(t.name()), t.spec());
            String hash = contentHash(folder);
            if (t.contentSha256() != null && !t.contentSha256().equals(hash)) {
                throw new BadInputException("task '" + t.name() + "' of list '" + name + "': generated content sha256 "
                        + hash + " differs from the list's " + t.contentSha256() + "; the generator changed since the"
                        + " list was committed: generate it with that commit (git log on the list file)");
            }
            written.add(new Written(t, folder, 3 * (t.train() + t.val() + t.test()), hash));
        }
        return written;
    }

    /**
     * A SHA-256 over a generated folder's content that does not depend on the PNG encoder: the bytes of
     * labels.csv and regions.csv, then per PNG under images/ and masks/ (sorted by path) its path, size
     * and decoded grey levels.
     */
    public static String contentHash(Path folder) {
        MessageDigest digest = sha256();
        try {
            for (String csv : List.of("labels.csv", "regions.csv")) {
                digest.update(csv.getBytes(StandardCharsets.UTF_8));
                digest.update(Files.readAllBytes(folder.resolve(csv)));
            }
            List<Path> pngs = new ArrayList<>();
            for (String sub : List.of("images", "masks")) {
                try (Stream<Path> files = Files.list(folder.resolve(sub))) {
                    files.filter(f -> f.getFileName().toString().endsWith(".png")).forEach(pngs::add);
                }
            }
            pngs.sort(null);
            for (Path png : pngs) {
                digest.update(folder.relativize(png).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                BufferedImage image = ImageIO.read(png.toFile());
                int w = image.getWidth();
                int h = image.getHeight();
                digest.update((w + "x" + h).getBytes(StandardCharsets.UTF_8));
                int[] samples = image.getRaster().getSamples(0, 0, w, h, 0, new int[w * h]);
                byte[] bytes = new byte[samples.length];
                for (int i = 0; i < samples.length; i++) {
                    bytes[i] = (byte) samples[i];
                }
                digest.update(bytes);
            }
        } catch (IOException e) {
            throw new BadInputException(folder + ": cannot read the generated task (" + e.getMessage()
                    + "); generate it again into a new folder");
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static boolean isEmpty(Path folder) {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new BadInputException(folder + ": cannot list (" + e.getMessage() + "); check its permissions");
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
