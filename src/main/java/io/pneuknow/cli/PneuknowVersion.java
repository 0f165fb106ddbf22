package io.pneuknow.cli;

import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The version every command prints for {@code --version}: the root command's name and {@link #NUMBER}. */
public final class PneuknowVersion implements IVersionProvider {
    /** The release, the one place it is written besides the Maven version (pom.xml, spark/pom.xml; tested to agree). */
    public static final String NUMBER = "0.2.0";

    @Spec
    CommandSpec spec;

    @Override
    public String[] getVersion() {
        String root = spec == null ? "pneuknow" : spec.root().name();
        return new String[] {root + " " + NUMBER};
    }
}
