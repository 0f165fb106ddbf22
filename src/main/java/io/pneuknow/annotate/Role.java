package io.pneuknow.annotate;

import io.pneuknow.BadInputException;
import java.util.Locale;

/** What a person may do: annotators draw, reviewers also accept or reject regions, admins also manage people. */
public enum Role {
    ANNOTATOR, REVIEWER, ADMIN;

    /** The name stored in the database and shown to users. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether this role may accept or reject regions. */
    public boolean reviews() {
        return this != ANNOTATOR;
    }

    /** The role of this name, in any case; an unknown name is refused with the three known ones. */
    public static Role of(String text) {
        for (Role role : values()) {
            if (role.text().equalsIgnoreCase(text.strip())) {
                return role;
            }
        }
        throw new BadInputException("role '" + text + "' is not one of annotator, reviewer, admin; give one of them");
    }
}
