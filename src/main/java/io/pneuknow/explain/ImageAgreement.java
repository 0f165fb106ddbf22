package io.pneuknow.explain;

import io.pneuknow.data.Sample;
import io.pneuknow.evaluate.LocalisationScores;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.transform.RoiMask;
import io.pneuknow.transform.RoiShape;
import java.util.ArrayList;
import java.util.List;

/**
 * How one model's Grad-CAM of the true class agrees with the expert's region on one annotated image
 * (see {@link Agreement}). Where a score is undefined (an all-zero heat map, an empty region) the
 * scores are NaN and {@code undefined} says why.
 *
 * @param hit 1 when the hottest pixel lies inside the region, 0 when not, NaN when undefined
 */
public record ImageAgreement(String imageId, String patientId, int trueClass, double energy, double hit, double iou,
                             double auprc, String undefined) {

    /** The scores of every annotated sample (the others are skipped), at the model's last feature map. */
    public static List<ImageAgreement> ofAnnotated(ModelBundle.Loaded model, List<Sample> samples) {
        HeatMaps heat = new HeatMaps(model);
        List<ImageAgreement> out = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.annotated()) {
                continue;
            }
            GreyImage image = ImageFiles.read(s.file());
            out.add(of(s, heat.gradCam(image, s.classIndex()), regionMask(s, image)));
        }
        return out;
    }

    /** The expert's regions of {@code sample} as a mask at the size of its {@code image} (1 inside, 0 outside). */
    public static GreyImage regionMask(Sample sample, GreyImage image) {
        return RoiMask.build(sample, image.width(), image.height(), 0, RoiShape.MASK, ImageFiles::readMask);
    }

    /** How {@code heatMap} agrees with {@code regionMask} on the sample's image; undefined scores say why. */
    public static ImageAgreement of(Sample sample, GreyImage heatMap, GreyImage regionMask) {
        var reason = Agreement.undefined(heatMap, regionMask);
        if (reason.isPresent()) {
            return new ImageAgreement(sample.imageId(), sample.patientId(), sample.classIndex(), Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, reason.get());
        }
        AgreementScores a = Agreement.scores(heatMap, regionMask);
        return new ImageAgreement(sample.imageId(), sample.patientId(), sample.classIndex(), a.energy(),
                a.hit() ? 1 : 0, a.iou(), a.auprc(), null);
    }

    /** Whether the scores are defined. */
    public boolean defined() {
        return undefined == null;
    }

    /** The four scores by name (NaN where undefined). */
    public LocalisationScores scores() {
        return new LocalisationScores(energy, hit, iou, auprc);
    }
}
