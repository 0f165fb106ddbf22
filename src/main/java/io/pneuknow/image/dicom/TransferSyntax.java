package io.pneuknow.image.dicom;

import java.util.Map;

/**
 * The transfer syntaxes this package reads, and for the others a name and a dcmtk command that
 * converts them into one it reads.
 */
enum TransferSyntax {
    IMPLICIT_LITTLE("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false),
    EXPLICIT_LITTLE("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false),
    JPEG_BASELINE("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, true),
    JPEG_LOSSLESS("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", true, true),
    JPEG_LOSSLESS_SV1("1.2.840.10008.1.2.4.70",
            "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1)", true, true);

    private static final String TO_EXPLICIT = "convert it with dcmtk: dcmconv +te in.dcm out.dcm";
    private static final String DECOMPRESS_JPEG = "decompress it with dcmtk: dcmdjpeg in.dcm out.dcm";
    private static final String JPEG_2000 = "dcmtk cannot decode JPEG 2000 without a commercial plug-in; "
            + "decompress it with GDCM (gdcmconv --raw in.dcm out.dcm) or export it from the archive uncompressed";

    /** Names of transfer syntaxes that are recognised but not read, with how to convert each. */
    private static final Map<String, String[]> UNSUPPORTED = Map.ofEntries(
            entry("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian",
                    "convert it with a current toolkit to explicit VR little endian (dcmconv +te in.dcm out.dcm)"),
            entry("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", TO_EXPLICIT),
            entry("1.2.840.10008.1.2.2", "Explicit VR Big Endian (retired)", TO_EXPLICIT),
            entry("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 and 4)", DECOMPRESS_JPEG),
            entry("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless",
                    "decompress it with dcmtk: dcmdjpls in.dcm out.dcm"),
            entry("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless)",
                    "decompress it with dcmtk: dcmdjpls in.dcm out.dcm"),
            entry("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)", JPEG_2000),
            entry("1.2.840.10008.1.2.4.91", "JPEG 2000", JPEG_2000),
            entry("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component (Lossless Only)", JPEG_2000),
            entry("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component", JPEG_2000),
            entry("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)", JPEG_2000),
            entry("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)", JPEG_2000),
            entry("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", JPEG_2000),
            entry("1.2.840.10008.1.2.5", "RLE Lossless", "decompress it with dcmtk: dcmdrle in.dcm out.dcm"));

    final String uid;
    final String title;
    final boolean explicitVr;
    final boolean encapsulated;

    TransferSyntax(String uid, String title, boolean explicitVr, boolean encapsulated) {
        this.uid = uid;
        this.title = title;
        this.explicitVr = explicitVr;
        this.encapsulated = encapsulated;
    }

    /** The supported syntax with this UID, or null. */
    static TransferSyntax of(String uid) {
        for (TransferSyntax syntax : values()) {
            if (syntax.uid.equals(uid)) {
                return syntax;
            }
        }
        return null;
    }

    /** Why a transfer syntax is not read and how to convert it; the UID must already be a well-formed UID. */
    static String rejection(String uid) {
        String[] known = UNSUPPORTED.get(uid);
        String title;
        String remedy;
        if (known != null) {
            title = known[0];
            remedy = known[1];
        } else if (uid.startsWith("1.2.840.10008.1.2.4.")) {
            title = "a JPEG or video process other than baseline and lossless";
            remedy = DECOMPRESS_JPEG + " (or re-export the image uncompressed)";
        } else {
            title = "unknown";
            remedy = "convert it to explicit VR little endian with dcmtk (dcmconv +te in.dcm out.dcm, "
                    + "or dcmdjpeg / dcmdrle / dcmdjpls for compressed data)";
        }
        return "DICOM transfer syntax " + uid + " (" + title + ") is not read; only implicit and explicit VR "
                + "little endian, JPEG baseline and JPEG lossless are; " + remedy;
    }

    private static Map.Entry<String, String[]> entry(String uid, String title, String remedy) {
        return Map.entry(uid, new String[] {title, remedy});
    }
}
