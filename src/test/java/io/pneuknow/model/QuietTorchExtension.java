package io.pneuknow.model;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Applies {@link TorchLogLevel} before every test class (registered for all tests through
 * META-INF/services and junit-platform.properties), as the program does when it starts the engine,
 * so tests that use DJL directly run at the program's libtorch log level too.
 */
public final class QuietTorchExtension implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        TorchLogLevel.apply();
    }
}
