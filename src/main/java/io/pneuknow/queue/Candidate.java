package io.pneuknow.queue;

/**
 * An unannotated training image the queue may ask for: its id, patient, class index, and (for the strategies that
 * need them) the current student's class probabilities on the full image and the current teacher's class
 * probabilities on the same full image (null when not computed).
 *
 * @param student the student's softmax probabilities on the full image, one per class; null when not computed
 * @param teacher the teacher's softmax probabilities on the full image (an unannotated image has no ROI view, see
 *     {@link Strategy#DISAGREEMENT}); null when not computed
 */
public record Candidate(String imageId, String patientId, int classIndex, double[] student, double[] teacher) {
    public Candidate {
        student = student == null ? null : student.clone();
        teacher = teacher == null ? null : teacher.clone();
    }

    /** A candidate without model outputs (for the strategies that need none). */
    public Candidate(String imageId, String patientId, int classIndex) {
        this(imageId, patientId, classIndex, null, null);
    }
}
