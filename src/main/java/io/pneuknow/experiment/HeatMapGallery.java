package io.pneuknow.experiment;

import io.pneuknow.BadInputException;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Sample;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.explain.HeatMaps;
import io.pneuknow.explain.ImageAgreement;
import io.pneuknow.explain.Overlays;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.report.Numbers;
import io.pneuknow.transform.Resize;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The heat-map gallery of a study's report, computed from the cells' saved models before the report is
 * rendered: per architecture, up to {@value #GALLERY_IMAGES} annotated images, taken in turn from each class
 * (image ids in order), among those tested by every method of the architecture; for each, the expert's region
 * over the X-ray and each method's Grad-CAM overlay (true class, last feature map, as the localisation tables
 * score it) from the model of the fold that tested the image (its first seed), as PNGs.
 *
 * @param architectures the architectures with at least one finished cell, in the study's order
 */
public record HeatMapGallery(List<Architecture> architectures) {
    /** Most images in the gallery (per architecture). */
    static final int GALLERY_IMAGES = 8;
    /** Overlays are shrunk to this longest side (px) to keep the page small. */
    static final int OVERLAY_MAX_SIDE = 256;

    /**
     * One architecture's part of the gallery.
     *
     * @param methods the methods with finished cells, in the study's order (the gallery's columns)
     * @param rows    the images shown; empty when no annotated image was tested by every method
     */
    public record Architecture(String name, List<String> methods, List<Row> rows) {
    }

    /**
     * One image of the gallery: who it is, the expert's region outlined over it, and one panel per method
     * (in the order of {@link Architecture#methods}).
     *
     * @param testFold        the fold that tested the image (for the first method)
     * @param expertRegionPng the X-ray with the expert's region outlined and no heat
     */
    public record Row(String imageId, String className, String patientId, int testFold, int regions,
                      byte[] expertRegionPng, List<Panel> panels) {
    }

    /**
     * One method's overlay of one image.
     *
     * @param overlayPng the Grad-CAM overlay; null when the model could not be loaded
     * @param caption    the prediction and heat inside the regions, or why the model could not be loaded
     */
    public record Panel(String method, byte[] overlayPng, String caption) {
    }

    /** Computes the gallery: loads each needed cell's model once and runs Grad-CAM on its gallery images. */
    static HeatMapGallery of(StudyConfig config, Dataset dataset, List<CellResult> results, Path dir) {
        List<String> classes = dataset.classes();
        List<Architecture> architectures = new ArrayList<>();
        for (String architecture : config.architectures()) {
            // method -> image -> the cell (first seed) that tested it
            Map<String, Map<String, CellResult>> testedBy = new LinkedHashMap<>();
            for (String method : config.methods()) {
                Map<String, CellResult> byImage = new TreeMap<>();
                for (long seed : config.seeds()) {
                    for (CellResult c : results) {
                        if (c.architecture().equals(architecture) && c.method().equals(method) && c.seed() == seed) {
                            c.test().forEach(p -> byImage.putIfAbsent(p.imageId(), c));
                        }
                    }
                }
                if (!byImage.isEmpty()) {
                    testedBy.put(method, byImage);
                }
            }
            if (testedBy.isEmpty()) {
                continue;
            }
            List<Sample> images = galleryImages(dataset, testedBy, GALLERY_IMAGES);
            // overlays, loading each cell's model once
            Map<String, Map<String, Panel>> panels = new LinkedHashMap<>(); // method -> image -> panel
            for (var entry : testedBy.entrySet()) {
                Map<CellResult, List<Sample>> perCell = new LinkedHashMap<>();
                for (Sample s : images) {
                    perCell.computeIfAbsent(entry.getValue().get(s.imageId()), k -> new ArrayList<>()).add(s);
                }
                Map<String, Panel> ofMethod = new LinkedHashMap<>();
                for (var cell : perCell.entrySet()) {
                    CellResult c = cell.getKey();
                    StudyRunner.Cell where = StudyRunner.Cell.of(c);
                    try (ModelBundle.Loaded loaded = ModelBundle.load(where.dir(dir))) {
                        HeatMaps heat = new HeatMaps(loaded);
                        for (Sample s : cell.getValue()) {
                            GreyImage xray = ImageFiles.read(s.file());
                            byte[] png = overlay(xray, heat.gradCam(xray, s.classIndex()), mask(s, xray));
                            ofMethod.put(s.imageId(), new Panel(entry.getKey(), png, caption(c, s, classes)));
                        }
                    } catch (BadInputException e) {
                        for (Sample s : cell.getValue()) {
                            ofMethod.put(s.imageId(), new Panel(entry.getKey(), null,
                                    "model of " + where.label() + " not loaded: " + e.getMessage()));
                        }
                    }
                }
                panels.put(entry.getKey(), ofMethod);
            }
            List<Row> rows = new ArrayList<>();
            for (Sample s : images) {
                CellResult any = testedBy.values().iterator().next().get(s.imageId());
                GreyImage xray = ImageFiles.read(s.file());
                byte[] region = overlay(xray, GreyImage.blank(xray.width(), xray.height()), mask(s, xray));
                rows.add(new Row(s.imageId(), s.className(), s.patientId(), any.fold(), s.regions().size(), region,
                        testedBy.keySet().stream().map(m -> panels.get(m).get(s.imageId())).toList()));
            }
            architectures.add(new Architecture(architecture, List.copyOf(testedBy.keySet()), rows));
        }
        return new HeatMapGallery(architectures);
    }

    /** The gallery's images: annotated, tested by every method given, taken in turn from each class. */
    static List<Sample> galleryImages(Dataset dataset, Map<String, Map<String, CellResult>> testedBy, int max) {
        Map<Integer, List<Sample>> perClass = new TreeMap<>();
        dataset.samples().stream().filter(Sample::annotated)
                .filter(s -> testedBy.values().stream().allMatch(m -> m.containsKey(s.imageId())))
                .sorted(Comparator.comparing(Sample::imageId))
                .forEach(s -> perClass.computeIfAbsent(s.classIndex(), k -> new ArrayList<>()).add(s));
        List<Sample> out = new ArrayList<>();
        for (int round = 0; out.size() < max; round++) {
            boolean any = false;
            for (List<Sample> ofClass : perClass.values()) {
                if (round < ofClass.size() && out.size() < max) {
                    out.add(ofClass.get(round));
                    any = true;
                }
            }
            if (!any) {
                break;
            }
        }
        return out;
    }

    private static GreyImage mask(Sample s, GreyImage xray) {
        return ImageAgreement.regionMask(s, xray);
    }

    /** The overlay's PNG, shrunk so that its longest side is at most {@link #OVERLAY_MAX_SIDE}. */
    static byte[] overlay(GreyImage xray, GreyImage heat, GreyImage mask) {
        int longest = Math.max(xray.width(), xray.height());
        if (longest <= OVERLAY_MAX_SIDE) {
            return Overlays.encode(xray, heat, mask);
        }
        double f = (double) OVERLAY_MAX_SIDE / longest;
        int w = Math.max(1, (int) Math.round(xray.width() * f));
        int hgt = Math.max(1, (int) Math.round(xray.height() * f));
        return Overlays.encode(Resize.to(xray, w, hgt), Resize.to(heat, w, hgt), Resize.maskTo(mask, w, hgt));
    }

    /** What the cell predicted for the image and how much of its heat lies inside the regions. */
    static String caption(CellResult c, Sample s, List<String> classes) {
        Prediction p = c.test().stream().filter(x -> x.imageId().equals(s.imageId())).findFirst().orElse(null);
        StringBuilder out = new StringBuilder();
        if (p != null) {
            out.append("predicted ").append(classes.get(p.predictedClass())).append(", p(true) ")
                    .append(num(p.probabilities()[s.classIndex()]));
        }
        if (c.localisation() != null) {
            c.localisation().stream().filter(a -> a.imageId().equals(s.imageId())).findFirst().ifPresent(a -> out
                    .append(out.isEmpty() ? "" : "; ").append(a.defined() ? "heat inside " + num(a.energy()) : "undefined: " + a.undefined()));
        }
        return out.toString();
    }

    private static String num(double v) {
        return Numbers.three(v, "–");
    }
}
