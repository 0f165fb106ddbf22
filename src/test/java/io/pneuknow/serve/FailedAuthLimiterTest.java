package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Wrong credentials counted per address in a sliding window, with bounded memory. */
class FailedAuthLimiterTest {
    final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    final FailedAuthLimiter limiter = new FailedAuthLimiter(10, Duration.ofMinutes(1), 3, now::get);

    void advanceSeconds(long seconds) {
        now.addAndGet(seconds * 1_000_000_000L);
    }

    @Test
    void theTenthFailureWithinAMinuteRefusesTheAddressUntilTheOldestExpires() {
        for (int i = 1; i <= 9; i++) {
            assertThat(limiter.fail("10.0.0.1")).as("failure " + i).isFalse();
            advanceSeconds(1);
        }
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isZero();
        assertThat(limiter.fail("10.0.0.1")).as("the tenth").isTrue();
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).as("the first failure was 9 s ago").isEqualTo(51);
        assertThat(limiter.retryAfterSeconds("10.0.0.2")).as("another address").isZero();
        advanceSeconds(50);
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isEqualTo(1);
        advanceSeconds(1);
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).as("the oldest failure left the window").isZero();
        assertThat(limiter.fail("10.0.0.1")).as("one more guess, and refused again").isTrue();
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isEqualTo(1);
        advanceSeconds(60);
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isZero();
        assertThat(limiter.addresses()).as("forgotten once its failures expired").isZero();
    }

    @Test
    void ipv6AddressesAreCountedPerSlash64() {
        assertThat(FailedAuthLimiter.counted("[2001:db8:1:2:aaaa:bbbb:cccc:dddd]")).isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(FailedAuthLimiter.counted("127.0.0.1")).isEqualTo("127.0.0.1");
        for (int i = 0; i < 10; i++) {
            limiter.fail("2001:db8:1:2::" + Integer.toHexString(i + 1));
        }
        assertThat(limiter.retryAfterSeconds("[2001:db8:1:2::ffff]")).isEqualTo(60);
        assertThat(limiter.retryAfterSeconds("2001:db8:1:3::1")).isZero();
    }

    @Test
    void atMostMaxAddressesAreRememberedTheLeastRecentlySeenForgotten() {
        for (int i = 1; i <= 100; i++) {
            limiter.fail("10.0.0." + i);
        }
        assertThat(limiter.addresses()).isEqualTo(3);
        for (int i = 0; i < 9; i++) {
            limiter.fail("10.0.0.100");
        }
        assertThat(limiter.retryAfterSeconds("10.0.0.100")).as("the recent address kept its count").isEqualTo(60);
        assertThat(limiter.addresses()).isEqualTo(3);
    }
}
