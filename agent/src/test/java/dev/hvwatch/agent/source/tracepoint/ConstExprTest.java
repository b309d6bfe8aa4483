package dev.hvwatch.agent.source.tracepoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConstExprTest {

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "0; 0",
            "0x000; 0",
            "0x040 + 13; 77",
            "-1; -1",
            "0x80000001; 2147483649",
            "0x8000fffd; 2147549181",
            "(1 << 0) | (1 << 1); 3",
            "(1 << 0) | (1 << 3); 9",
            "017; 15",
            "10u; 10",
            "0x10UL; 16",
            "~0xffff & 0xffffffff; 4294901760",
            "2 + 3 * 4; 14",
            "(2 + 3) * 4; 20",
            "1 << 2 + 1; 8"})
    void evaluatesCConstants(String text, long value) {
        assertThat(ConstExpr.evaluate(text)).isEqualTo(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "EXIT_REASON_HLT", "1 +", "(1", "1)", "1 && 2", "0xZZ", "1 / 0"})
    void refusesAnythingElseNamingTheColumn(String text) {
        assertThatThrownBy(() -> ConstExpr.evaluate(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at column");
    }
}
