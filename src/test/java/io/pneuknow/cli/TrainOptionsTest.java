package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.train.TrainConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The training flags over a base configuration. */
class TrainOptionsTest {
    @Test
    void allowNoValidationIsOffUnlessGiven() {
        TrainCommand plain = new TrainCommand();
        new CommandLine(plain).parseArgs("--out", "x");
        assertThat(plain.trainOptions.apply(TrainConfig.defaults()).allowNoValidation()).isFalse();

        TrainCommand allowing = new TrainCommand();
        new CommandLine(allowing).parseArgs("--out", "x", "--allow-no-validation");
        assertThat(allowing.trainOptions.apply(TrainConfig.defaults()).allowNoValidation()).isTrue();
        // a config file's setting stays unless the flag says otherwise
        TrainCommand fromFile = new TrainCommand();
        new CommandLine(fromFile).parseArgs("--out", "x");
        assertThat(fromFile.trainOptions.apply(TrainConfig.builder().allowNoValidation(true).build()).allowNoValidation()).isTrue();
    }

    @Test
    void energyWeightSetsTheMethodsLambda() {
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs("--out", "x", "--method", "energy", "--energy-weight", "2.5");
        TrainConfig config = command.trainOptions.apply(TrainConfig.defaults());
        assertThat(config.method().name()).isEqualTo("energy");
        assertThat(config.energyWeight()).isEqualTo(2.5f);
        // left out: the config file's value stays
        TrainCommand plain = new TrainCommand();
        new CommandLine(plain).parseArgs("--out", "x");
        assertThat(plain.trainOptions.apply(TrainConfig.builder().energyWeight(0.25f).build()).energyWeight())
                .isEqualTo(0.25f);
    }

    @Test
    void teacherFractionIsTheReferencesControlAndTheRegionsKeptShareHasItsOwnOption() {
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs("--out", "x", "--teacher-fraction", "0.3", "--regions-kept-fraction", "0.6");
        TrainConfig config = command.trainOptions.apply(TrainConfig.defaults());
        assertThat(config.teacherFraction()).isEqualTo(0.3);
        assertThat(config.regionsKeptFraction()).isEqualTo(0.6);
        TrainCommand plain = new TrainCommand();
        new CommandLine(plain).parseArgs("--out", "x");
        assertThat(plain.trainOptions.apply(TrainConfig.builder().teacherFraction(0.5).build()).teacherFraction())
                .isEqualTo(0.5);
    }
}
