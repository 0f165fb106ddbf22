package io.pneuknow.image.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncates and mutates (seeded) valid files of each supported kind made by dcmtk: every outcome
 * must be a clean {@link io.pneuknow.BadInputException} or a valid image (see {@link Fuzzing}), each
 * case within 2 s and each file's run within 60 s.
 */
@Tag("heavy")
class DicomFuzzTest {
    private static final int COLUMNS = 24;
    private static final int ROWS = 16;

    @TempDir
    Path dir;

    @Test
    void truncatedAndMutatedFilesEndInBadInputOrAValidImage() throws IOException {
        Dcmtk.require();
        int[] values = new int[COLUMNS * ROWS];
        int[] bytes = new int[COLUMNS * ROWS];
        for (int y = 0; y < ROWS; y++) {
            for (int x = 0; x < COLUMNS; x++) {
                values[y * COLUMNS + x] = (x * 150 + y * 40 + (x * y) % 7 * 30) % 4096;
                bytes[y * COLUMNS + x] = 30 + x * 6 + y * 2;
            }
        }
        Path twelve = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(values))
                .set("(0028,0101)", "US 12").set("(0028,0102)", "US 11").set("(0010,1010)", "AS [045Y]")
                .set("(0028,1050)", "DS [2000\\1000]").set("(0028,1051)", "DS [3000\\500]")
                .set("(0028,1052)", "DS [-1024]").set("(0028,1053)", "DS [1.5]")
                .raw("(0008,1140) SQ (Sequence)", "  (fffe,e000) na (Item)", "    (0008,1150) UI [1.2.3]",
                        "    (0010,0010) PN [" + Dcmtk.PATIENT_NAME + "]", "  (fffe,e00d) na (ItemDelimitationItem)",
                        "(fffe,e0dd) na (SequenceDelimitationItem)")
                .write(dir, "twelve", "-e");
        Path eight = new Dcmtk.Dump(COLUMNS, ROWS, 8, Dcmtk.bytes(bytes)).set("(0028,0004)", "CS [MONOCHROME1]")
                .write(dir, "eight");
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("explicit, sequence of undefined length", twelve);
        files.put("implicit", Dcmtk.convert(twelve, "implicit.dcm", "dcmconv", "+ti"));
        files.put("JPEG lossless SV1", Dcmtk.convert(twelve, "lossless.dcm", "dcmcjpeg", "+e1"));
        files.put("JPEG lossless predictor 7", Dcmtk.convert(twelve, "lossless7.dcm", "dcmcjpeg", "+el", "+sv", "7"));
        files.put("JPEG baseline", Dcmtk.convert(eight, "baseline.dcm", "dcmcjpeg", "+eb"));

        long seed = 1;
        for (Map.Entry<String, Path> file : files.entrySet()) {
            byte[] original = Files.readAllBytes(file.getValue());
            long fileSeed = seed++;
            assertThat(DicomFiles.read(original, "valid.dcm").image().width()).isEqualTo(COLUMNS);

            Fuzzing.Outcome outcome = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> Fuzzing.run(original, fileSeed, 3, 1200), file.getKey());

            assertThat(outcome.cases()).as(file.getKey()).isGreaterThan(1200);
            assertThat(outcome.rejected()).as(file.getKey()).isPositive();
            assertThat(outcome.images()).as(file.getKey()).isPositive();
            assertThat(outcome.slowestNanos()).as(file.getKey()).isLessThan(Duration.ofSeconds(2).toNanos());
        }
    }
}
