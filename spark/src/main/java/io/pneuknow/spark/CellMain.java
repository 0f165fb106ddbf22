package io.pneuknow.spark;

import io.pneuknow.experiment.StudyRunner;
import java.nio.file.Path;

/**
 * Runs one cell of a planned study in a process of its own (what a Spark task starts): the engine's
 * random generator and thread count are process-wide, so two cells training in one JVM would draw
 * from each other's generator; a process per cell keeps every cell as it is in a single-machine run.
 * Arguments: the study folder, the cell's index in the grid and its label (a check that the grid is
 * the planned one). Exit 0 when the cell's cell.json is written (or was there already).
 */
public final class CellMain {
    private CellMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: CellMain STUDY_DIR CELL_INDEX CELL_LABEL");
            System.exit(2);
        }
        StudyRunner.Study study = StudyRunner.open(Path.of(args[0]));
        int index = Integer.parseInt(args[1]);
        StudyRunner.Cell cell = index < study.cells().size() ? study.cells().get(index) : null;
        if (cell == null || !cell.label().equals(args[2])) {
            System.err.println("cell " + index + " of " + args[0] + " is " + (cell == null ? "missing" : cell.label())
                    + ", not " + args[2] + "; the study's grid changed after it was planned");
            System.exit(3);
        }
        System.out.println("cell " + cell.label() + ": training in " + cell.dir(study.dir()));
        StudyRunner.runCell(study, cell, System.out);
        System.out.println("cell " + cell.label() + ": done");
        System.out.flush();
        // the engine's native threads may keep the JVM alive
        System.exit(0);
    }
}
