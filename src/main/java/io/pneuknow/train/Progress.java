package io.pneuknow.train;

import java.io.PrintStream;
import java.time.Duration;

/**
 * Shows how far a training stage has got: on a terminal a bar redrawn in place with epoch, step,
 * loss and remaining time; otherwise (logs, CI) one plain line per epoch.
 */
public final class Progress {
    private final PrintStream out;
    private final boolean terminal;
    private final String stage;
    private final int epochs;
    private final int stepsPerEpoch;
    private final long startNanos = System.nanoTime();
    private final int firstEpoch;
    private long lastDraw;

    public Progress(PrintStream out, boolean terminal, String stage, int firstEpoch, int epochs, int stepsPerEpoch) {
        this.out = out;
        this.terminal = terminal;
        this.stage = stage;
        this.firstEpoch = firstEpoch;
        this.epochs = epochs;
        this.stepsPerEpoch = Math.max(1, stepsPerEpoch);
    }

    /** True when standard error is an interactive terminal (the bar is drawn only there). */
    public static boolean onTerminal() {
        return System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
    }

    /** After each training step: redraws the bar at most ten times a second. */
    public void step(int epoch, int step, double loss) {
        if (!terminal) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < 100_000_000L && step + 1 < stepsPerEpoch) {
            return;
        }
        lastDraw = now;
        long done = (long) (epoch - firstEpoch) * stepsPerEpoch + step + 1;
        long total = (long) (epochs - firstEpoch) * stepsPerEpoch;
        double fraction = (double) done / total;
        int width = 24;
        int filled = (int) Math.round(fraction * width);
        out.printf("\r%-8s epoch %d/%d step %d/%d [%s%s] loss %.4f eta %s   ", stage, epoch + 1, epochs, step + 1,
                stepsPerEpoch, "#".repeat(filled), ".".repeat(width - filled), loss, eta(fraction));
        out.flush();
    }

    /** After each epoch: one line (ends the bar's line on a terminal). */
    public void epoch(int epoch, String summary) {
        long done = (long) (epoch + 1 - firstEpoch) * stepsPerEpoch;
        long total = (long) (epochs - firstEpoch) * stepsPerEpoch;
        String line = String.format("%-8s epoch %d/%d %s eta %s", stage, epoch + 1, epochs, summary,
                eta((double) done / total));
        out.println(terminal ? "\r" + line + "          " : line);
        out.flush();
    }

    private String eta(double fraction) {
        if (fraction <= 0) {
            return "?";
        }
        long elapsed = System.nanoTime() - startNanos;
        Duration left = Duration.ofNanos((long) (elapsed / fraction - elapsed));
        return String.format("%d:%02d", left.toMinutes(), left.toSecondsPart());
    }
}
