package io.pneuknow.image.dicom;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Facts from a DICOM header that an input guard needs, and nothing that identifies the patient: no
 * name, ID or birth date is ever read from the file (the parser steps over them by length). Text
 * values are kept only when they look like DICOM code strings (letters, digits, space, underscore,
 * backslash; at most 64 characters), trimmed and upper-cased as the standard writes them ("Chest "
 * becomes "CHEST"), otherwise they are null, so free text cannot travel through here.
 *
 * @param modality (0008,0060), e.g. "CR", "DX"; null when absent
 * @param viewPosition (0018,5101), e.g. "PA", "AP", "LL"; null when absent
 * @param patientOrientation (0020,0020), e.g. "L\F" (row and column directions); null when absent
 * @param bodyPartExamined (0018,0015), e.g. "CHEST"; null when absent
 * @param patientAgeYears (0010,1010) converted to years (e.g. "006M" is 0.5); null when absent or malformed
 * @param rows image height in pixels
 * @param columns image width in pixels
 * @param bitsStored bits per stored sample (1-16)
 * @param photometricInterpretation "MONOCHROME1" (inverted on reading), "MONOCHROME2", or for a colour image
 *        (turned into grey on reading) "RGB", "YBR_FULL" or "YBR_FULL_422"
 * @param transferSyntaxUid the file's transfer syntax
 * @param sopClassUid (0008,0016), or the file meta's media storage SOP class; null when absent
 */
public record DicomHeader(String modality, String viewPosition, String patientOrientation, String bodyPartExamined,
        Double patientAgeYears, int rows, int columns, int bitsStored, String photometricInterpretation,
        String transferSyntaxUid, String sopClassUid) {
    private static final Pattern CODE = Pattern.compile("[A-Z0-9 _\\\\]{1,64}");
    private static final Pattern UID = Pattern.compile("[0-9]+(\\.[0-9]+)*");
    private static final Pattern AGE = Pattern.compile("([0-9]{3})([DWMY])");
    private static final Set<String> LATERAL_VIEWS = Set.of("LL", "RL", "LLD", "RLD", "LAT", "LATERAL");

    /**
     * Whether the header says the view is lateral: View Position LL, RL, LLD, RLD (or the non-standard
     * LAT, LATERAL), or, without a View Position, a Patient Orientation whose row direction is
     * anterior or posterior. False for frontal views and when the header does not tell.
     */
    public boolean lateralView() {
        if (viewPosition != null) {
            return LATERAL_VIEWS.contains(viewPosition);
        }
        if (patientOrientation != null) {
            String rowDirection = patientOrientation.split("\\\\", -1)[0].trim();
            return rowDirection.equals("A") || rowDirection.equals("P");
        }
        return false;
    }

    /** Whether the header gives an age under 18 years; false when the age is absent. */
    public boolean paediatric() {
        return patientAgeYears != null && patientAgeYears < 18;
    }

    /** The value trimmed and upper-cased if it is then a plausible code string, else null. */
    static String code(String value) {
        if (value == null) {
            return null;
        }
        String code = value.trim().toUpperCase(Locale.ROOT);
        return CODE.matcher(code).matches() ? code : null;
    }

    static boolean isUid(String value) {
        return value != null && value.length() <= 64 && UID.matcher(value).matches();
    }

    /** An Age String ("nnnD", "nnnW", "nnnM", "nnnY") in years, or null when it is not one. */
    static Double ageYears(String value) {
        if (value == null) {
            return null;
        }
        var match = AGE.matcher(value);
        if (!match.matches()) {
            return null;
        }
        double count = Integer.parseInt(match.group(1));
        return switch (match.group(2)) {
            case "D" -> count / 365.25;
            case "W" -> count * 7 / 365.25;
            case "M" -> count / 12;
            default -> count;
        };
    }
}
