package io.pneuknow.explain;

import io.pneuknow.data.Sample;
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
            GreyImage mask = RoiMask.build(s, image.width(), image.height(), 0, RoiShape.MASK, ImageFiles::readMask);
            GreyImage map = heat.gradCam(image, s.classIndex());
            var reason = Agreement.undefined(map, mask);
            if (reason.isPresent()) {
                out.add(new ImageAgreement(s.imageId(), s.patientId(), s.classIndex(), Double.NaN, Double.NaN,
                        Double.NaN, Double.NaN, reason.get()));
            } else {
                AgreementScores a = Agreement.scores(map, mask);
                out.add(new ImageAgreement(s.imageId(), s.patientId(), s.classIndex(), a.energy(), a.hit() ? 1 : 0,
                        a.iou(), a.auprc(), null));
            }
        }
        return out;
    }

    /** Whether the scores are defined. */
    public boolean defined() {
        return undefined == null;
    }
}
