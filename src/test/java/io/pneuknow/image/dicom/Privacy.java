package io.pneuknow.image.dicom;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks that text carries none of the test patient's identifiers (nor parts of the name). */
final class Privacy {
    private Privacy() {
    }

    private static final String[] IDENTIFIERS = {Dcmtk.PATIENT_NAME, "DOE", "JANE", Dcmtk.PATIENT_ID, "8675309",
            Dcmtk.BIRTH_DATE};

    /** Like {@link #assertClean} without AssertJ, for loops of many thousand cases. */
    static void requireClean(String text, String where) {
        for (String identifier : IDENTIFIERS) {
            if (text.contains(identifier)) {
                throw new AssertionError(where + ": patient identifier '" + identifier + "' in: " + text);
            }
        }
    }

    static void assertClean(String text, String where) {
        assertThat(text).as(where)
                .doesNotContain(Dcmtk.PATIENT_NAME)
                .doesNotContain("DOE")
                .doesNotContain("JANE")
                .doesNotContain(Dcmtk.PATIENT_ID)
                .doesNotContain("8675309")
                .doesNotContain(Dcmtk.BIRTH_DATE);
    }
}
