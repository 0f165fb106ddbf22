package io.pneuknow.spark;

import io.pneuknow.ParentWatch;
import io.pneuknow.experiment.StudyRunner;
import java.nio.file.Path;

/**
 * Runs one cell of a planned study in a process of its own (what a Spark task starts): the engine's
 * random generator and thread count are process-wide, so two cells training in one JVM would draw
 * from each other's generator; a process per cell keeps every cell as it is in a single-machine run.
 * Arguments: the study folder, the cell's index in the grid and its label (a check that the grid is
 * the planned one). Exit 0 when the cell's cell.json is written (or was there already).
 *
 * <p>With {@code -D}{@value #STOP_WITH_PARENT}{@code =true} (what {@link CellTask} sets) the process
 * stops at once, without finishing its cell, when its standard input closes: the task's process
 * (the Spark executor) holds the other end of that pipe, so the input closes however the executor
 * ends, a SIGKILL or its worker's death included. Without it a cell would train on after its
 * executor was gone and finish beside Spark's retry of the same cell on another executor.
 */
public final class CellMain {
    /** The system property that makes the cell stop when its standard input (the pipe from its task) closes. */
    public static final String STOP_WITH_PARENT = "pneuknow.cell.stopWithParent";

    private CellMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: CellMain STUDY_DIR CELL_INDEX CELL_LABEL");
            System.exit(2);
        }
        if (Boolean.getBoolean(STOP_WITH_PARENT)) {
            stopWhenInputCloses(args.length > 2 ? args[2] : "?");
        }
        StudyRunner.Study study = StudyRunner.open(Path.of(args[0]));
        int index = Integer.parseInt(args[1]);
        StudyRunner.Cell cell = index < study.cells().size() ? study.cells().get(index) : null;
        if (cell == null || !cell.label().equals(args[2])) {
            System.err.println("cell " + index + " of " + args[0] + " is " + (cell == null ? "missing" : cell.label())
                    + ", not " + args[2] + "; the study's grid changed after it was planned");
            System.exit(3);
        }
        System.out.println("cell " + cell.label() + ": training in " + cell.dir(study.dir()) + " (pid "
                + ProcessHandle.current().pid() + ")");
        StudyRunner.runCell(study, cell, System.out);
        System.out.println("cell " + cell.label() + ": done");
        System.out.flush();
        // the engine's native threads may keep the JVM alive
        System.exit(0);
    }

    /** Stops this process at once, without finishing the cell, when the task's process ends (stdin closes). */
    private static void stopWhenInputCloses(String label) {
        String parent = ProcessHandle.current().parent().map(p -> Long.toString(p.pid())).orElse("?");
        ParentWatch.stopWhenInputCloses(System.out, "cell " + label + ": the task's process (pid " + parent
                + ") is gone; stopping without finishing the cell");
    }
}
