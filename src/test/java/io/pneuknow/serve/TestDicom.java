package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.fail;

import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.image.dicom.Dcmtk;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * DICOM files for predict and serve tests, made with dcmtk's img2dcm from a grey JPEG of a PNG (JPEG
 * baseline transfer syntax), with patient identifiers in the header that must never come out. Skips the
 * calling test when img2dcm is missing, unless pneuknow.requireHeavy=true, when it fails.
 */
public final class TestDicom {
    public static final String PATIENT_NAME = "DOE^JANE^Q";
    public static final String PATIENT_ID = "PID8675309";
    /** Strings that must appear in no output. */
    public static final List<String> IDENTIFIERS = List.of(PATIENT_NAME, "DOE", "JANE", PATIENT_ID, "8675309");

    private TestDicom() {
    }

    /** {@code png} as {@code out} (a .dcm path), with the attributes given as dcmtk keys, e.g. "ViewPosition=LL". */
    public static Path fromPng(Path png, Path out, String... keys) {
        Dcmtk.require(); // img2dcm comes in the same package as dump2dcm
        try {
            GreyImage grey = ImageFiles.read(png);
            BufferedImage image = new BufferedImage(grey.width(), grey.height(), BufferedImage.TYPE_BYTE_GRAY);
            byte[] px = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < px.length; i++) {
                px[i] = (byte) Math.round(grey.pixels()[i] * 255);
            }
            Path jpeg = Files.createTempFile(out.toAbsolutePath().getParent(), "dicom-source-", ".jpg");
            ImageIO.write(image, "jpeg", jpeg.toFile());
            List<String> command = new ArrayList<>(List.of("img2dcm", "-k", "PatientName=" + PATIENT_NAME, "-k",
                    "PatientID=" + PATIENT_ID, "-k", "Modality=DX"));
            for (String key : keys) {
                command.add("-k");
                command.add(key);
            }
            command.add(jpeg.toString());
            command.add(out.toString());
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                fail(String.join(" ", command) + " failed: " + output);
            }
            Files.delete(jpeg);
            return out;
        } catch (IOException e) {
            return fail("cannot make the DICOM file: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    /** Removes the pixel data element from {@code dcm} in place (dcmtk's dcmodify); returns {@code dcm}. */
    public static Path withoutPixelData(Path dcm) {
        List<String> command = List.of("dcmodify", "-nb", "-ea", "(7fe0,0010)", dcm.toString());
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                fail(String.join(" ", command) + " failed: " + output);
            }
            return dcm;
        } catch (IOException e) {
            return fail("cannot run dcmodify: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }
}
