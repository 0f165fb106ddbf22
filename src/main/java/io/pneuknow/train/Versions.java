package io.pneuknow.train;

import ai.djl.engine.Engine;
import java.util.LinkedHashMap;
import java.util.Map;

/** The versions of everything that shapes a model's numbers, for provenance. */
public final class Versions {
    private Versions() {
    }

    public static Map<String, String> all() {
        Map<String, String> v = new LinkedHashMap<>();
        String own = Versions.class.getPackage().getImplementationVersion();
        v.put("pneuknow", own == null ? "dev" : own);
        v.put("djl", Engine.getDjlVersion());
        v.put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
        v.put("opencv", org.opencv.core.Core.VERSION);
        v.put("java", System.getProperty("java.version"));
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        v.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        return v;
    }
}
