package io.pneuknow.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The name an option had before it was renamed: still accepted, hidden from the help, and answered with one
 * deprecation warning on standard error ({@link CommandLines} adds it to the command line).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.METHOD})
public @interface FormerName {
    /** The former option name, e.g. {@code --arch}. */
    String value();

    /** The release that renamed the option; the former name is removed two releases later. */
    String since();
}
