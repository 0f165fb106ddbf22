package io.pneuknow.annotate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

/** Test helpers: a clock the test moves, and a small data set of images in a store. */
final class StoreFixtures {
    private StoreFixtures() {
    }

    /** A clock that stands still until the test moves it. */
    static final class TestClock extends Clock {
        private Instant now;

        TestClock(Instant start) {
            this.now = start;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Three images: a, b (pneumonia, train) and c (normal, test). */
    static void putThreeImages(AnnotationStore store) {
        store.putImages(List.of(new ImageEntry("a", "images/a.png", "pneumonia", "train"),
                new ImageEntry("b", "images/b.png", "pneumonia", "train"),
                new ImageEntry("c", "images/c.png", "normal", "test")));
    }
}
