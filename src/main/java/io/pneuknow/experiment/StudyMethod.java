package io.pneuknow.experiment;

import io.pneuknow.BadInputException;

/** A method of a study grid, as the training settings it stands for. */
record StudyMethod(String name, String method, String teacherInput, double annotationFraction) {
    static StudyMethod parse(String name) {
        switch (name) {
            case "baseline":
                return new StudyMethod(name, "baseline", "roi", 1);
            case "hkd":
                return new StudyMethod(name, "hkd", "roi", 1);
            case "hkd-raw-teacher":
                return new StudyMethod(name, "hkd", "raw", 1);
            case "hkd-shuffled-roi":
                return new StudyMethod(name, "hkd", "shuffled-roi", 1);
            default:
                if (name.startsWith("hkd-fraction-")) {
                    try {
                        double f = Double.parseDouble(name.substring("hkd-fraction-".length()));
                        if (f > 0 && f <= 1) {
                            return new StudyMethod(name, "hkd", "roi", f);
                        }
                    } catch (NumberFormatException ignored) {
                        // reported below
                    }
                }
                throw new BadInputException("method '" + name + "' is unknown; use baseline, hkd, hkd-raw-teacher, "
                        + "hkd-shuffled-roi or hkd-fraction-F with F in (0, 1]");
        }
    }
}
